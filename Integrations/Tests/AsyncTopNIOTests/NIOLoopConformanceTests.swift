import AsyncTopNIO
import AsyncTopTrace
import NIOCore
import NIOPosix
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The NIO producer against the vocabulary (EventKind.swift): a real `MultiThreadedEventLoopGroup` with the
/// metrics delegate runs real tasks, and every event it wrote is checked against what its kind documents.
@Suite("AsyncTopLoopMetrics writes each NIO tick as the vocabulary says")
struct NIOLoopConformanceTests {
    @Test("loops numbered in the NIO range, started and stopped on their threads; ticks as documented")
    func ticks() async throws {
        let region = try Region(layout: RegionLayout(ringCount: 8, ringCapacity: 1 << 14, namesCapacity: 1 << 16))
        let group = MultiThreadedEventLoopGroup(
            numberOfThreads: 2, metricsDelegate: AsyncTopLoopMetrics(region: region))
        // On each loop: one task that spins 20 ms (a tick of one task at least that long), then three at once.
        for loop in group.makeIterator() {
            try await loop.submit { spin(milliseconds: 20) }.get()
            let three = (0..<3).map { _ in loop.submit { spin(milliseconds: 1) } }
            for future in three { try await future.get() }
        }
        try await group.shutdownGracefully()

        var batch = EventBatch()
        _ = InProcessSource(region: region).read(into: &batch, limit: .max)
        #expect(batch.missed == 0)
        let byLoop = Dictionary(grouping: batch.events, by: \.loop)
        #expect(byLoop.count == 2)
        let tolerance = region.calibration.ticks(nanoseconds: 50_000)
        for (loop, events) in byLoop {
            #expect(ProducerKind(loop: loop) == .nioLoop)
            #expect(
                events.first?.kind == .loopStarted && events.first?.id ?? 0 > 0, "loopStarted first, id: the thread")
            #expect(events.last?.kind == .loopStopped, "loopStopped when the loop's thread ends")
            let ticks = events.dropFirst().dropLast()
            #expect(ticks.count % 4 == 0, "four events per tick")
            var longest: UInt64 = 0
            var tasksRun: UInt64 = 0
            for index in stride(from: ticks.startIndex, to: ticks.endIndex, by: 4) {
                let began = ticks[index]
                let io = ticks[index + 1]
                let tasks = ticks[index + 2]
                let ended = ticks[index + 3]
                #expect(began.kind == .tickBegan)
                #expect(io.kind == .phase && io.id == LoopPhase.io.rawValue && io.time == began.time)
                #expect(tasks.kind == .phase && tasks.id == LoopPhase.callbacks.rawValue && tasks.time >= io.time)
                #expect(ended.kind == .tickEnded && ended.time >= tasks.time && ended.arg == 0)
                // arg of tickBegan: the idle part of the wait before, no longer than the gap since the last tick.
                if index > ticks.startIndex {
                    #expect(began.time + tolerance >= ticks[index - 1].time + began.arg, "idle fits in the gap")
                }
                longest = max(longest, ended.time - tasks.time)
                tasksRun += ended.id
            }
            #expect(region.calibration.nanoseconds(longest) >= 20_000_000, "the 20 ms task's tick")
            #expect(tasksRun >= 4, "tickEnded's id counts the tasks run")
        }
    }
}

/// Spins for about `milliseconds` of CPU.
func spin(milliseconds: Int) {
    let clock = ContinuousClock()
    let end = clock.now + .milliseconds(milliseconds)
    while clock.now < end {}
}
