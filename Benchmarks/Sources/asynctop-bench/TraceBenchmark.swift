import ArgumentParser
import AsyncTopTrace
import Foundation
import Synchronization

/// `asynctop-bench trace`: the cost of emitting an event against the bare operations it is made of.
///
/// - `emit_ns`: median ns per `Tracer.emit` on one thread, tracing on, while a reader drains the ring.
/// - `emit_off_ns`: ns per `emit` with tracing switched off.
/// - `baseline_clock_ns`: the bare clock read `emit` uses (`TraceClock.now`, rdtsc here).
/// - `baseline_store_ns`: a bare 32-byte store into a ring-sized buffer.
/// - `floor_ns`: clock read + 32-byte store + index publish in one loop: what any ring tracer must do.
/// - `drain_events_per_s`: one reader copying events out of a full ring.
/// - `allocations_per_emit`: heap allocations per emit (malloc-interposer).
struct TraceBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace", abstract: "Cost of emitting and draining trace events, against bare baselines.")

    @OptionGroup var options: ReportOptions

    @Option(help: "Events per measured run.")
    var events = 10_000_000

    func run() {
        AllocationCounter.ensurePreloaded()
        let layout = RegionLayout(ringCount: 4, ringCapacity: 1 << 16, namesCapacity: 1 << 16)
        let region = try! Region(layout: layout)
        let tracer = region.makeTracer(loop: 0)
        let n = events

        // A reader drains concurrently while the producer emits, as a live monitor would, in batches: it reads
        // whatever is there, and naps 50 µs when it found less than 1/16 of a ring (a ring of 64 Ki events takes
        // over a millisecond to fill at full speed, so it never falls behind).
        let stop = Atomic<Bool>(false)
        let drained = Atomic<UInt64>(0)
        let missed = Atomic<UInt64>(0)
        let reader = Thread {
            let source = InProcessSource(region: region)
            var batch = EventBatch()
            while !stop.load(ordering: .relaxed) {
                batch.removeAll()
                _ = source.read(into: &batch, limit: .max)
                drained.add(UInt64(batch.events.count), ordering: .relaxed)
                missed.add(batch.missed, ordering: .relaxed)
                if batch.events.count < layout.ringCapacity / 16 { usleep(50) }
            }
        }
        reader.start()
        let emitNs = Measurement.medianNanosecondsPerOperation(operations: n) {
            for i in 0..<UInt64(n) { tracer.emit(.callbackBegan, loop: 0, id: i, arg: i) }
        }
        stop.store(true, ordering: .relaxed)

        Tracer.isEnabled = false
        let offCalls = n * 10
        let emitOffNs = Measurement.medianNanosecondsPerOperation(operations: offCalls) {
            // Unrolled by 4 so the loop's own counting is not charged to the calls.
            for i in stride(from: 0, to: UInt64(offCalls), by: 4) {
                tracer.emit(.callbackBegan, loop: 0, id: i, arg: i)
                tracer.emit(.callbackBegan, loop: 0, id: i, arg: i &+ 1)
                tracer.emit(.callbackBegan, loop: 0, id: i, arg: i &+ 2)
                tracer.emit(.callbackBegan, loop: 0, id: i, arg: i &+ 3)
            }
        }
        Tracer.isEnabled = true

        let clockNs = Measurement.clockReadNanoseconds(reads: n)

        let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: layout.ringCapacity * 4 + 8)
        buffer.initialize(repeating: 0, count: layout.ringCapacity * 4 + 8)
        let mask = UInt64(layout.ringCapacity - 1)
        let storeNs = Measurement.medianNanosecondsPerOperation(operations: n) {
            for i in 0..<UInt64(n) {
                let slot = buffer + Int((i & mask) << 2)
                slot[0] = i
                slot[1] = i &+ 1
                slot[2] = i
                slot[3] = i
            }
        }
        let published = buffer + layout.ringCapacity * 4
        let floorNs = Measurement.medianNanosecondsPerOperation(operations: n) {
            for i in 0..<UInt64(n) {
                let slot = buffer + Int((i & mask) << 2)
                slot[0] = TraceClock.now()
                slot[1] = i &+ 1
                slot[2] = i
                slot[3] = i
                published.pointee = i &+ 1
            }
        }
        blackHole(buffer[0])
        buffer.deallocate()

        // Fill the ring, then time one reader copying all of it out, repeatedly.
        for i in 0..<UInt64(layout.ringCapacity) { tracer.emit(.callbackEnded, loop: 0, id: i) }
        let passes = 200
        var drainBatch = EventBatch()
        drainBatch.events.reserveCapacity(layout.ringCapacity)
        let sources = (0..<(passes * 6)).map { _ in InProcessSource(region: region) }
        var next = 0
        let drainPerSecond = Measurement.bestOperationsPerSecond(operations: passes * (layout.ringCapacity - 1)) {
            for _ in 0..<passes {
                drainBatch.removeAll()
                _ = sources[next].read(into: &drainBatch, limit: .max)
                next += 1
            }
        }

        let allocations = Measurement.allocationsPerOperation(operations: 1_000_000) {
            for i in 0..<UInt64(1_000_000) { tracer.emit(.callbackBegan, loop: 0, id: i, arg: i) }
        }

        var report = BenchmarkReport(
            title: "asynctop-bench trace  (clock: \(TraceClock.kind), \(n) events per run, median of 5)")
        report.add("emit_ns", emitNs, "ns/event", String(format: "%.2f× floor", emitNs / floorNs))
        report.add("emit_off_ns", emitOffNs, "ns/call", "tracing switched off")
        report.add("baseline_clock_ns", clockNs, "ns", "bare TraceClock.now()")
        report.add("baseline_store_ns", storeNs, "ns", "bare 32-byte store into a ring-sized buffer")
        report.add("floor_ns", floorNs, "ns", "clock + store + publish, no atomics")
        report.add("emit_vs_floor", emitNs / floorNs, "×")
        report.add("drain_events_per_s", drainPerSecond, "events/s", "one reader, full ring")
        report.add("allocations_per_emit", allocations, "allocs", allocations == nil ? "interposer not loaded" : "")
        report.add("reader_drained_events", Double(drained.load(ordering: .relaxed)), "events", "during the emit runs")
        report.add("reader_missed_events", Double(missed.load(ordering: .relaxed)), "events", "during the emit runs")
        report.print(json: options.json)
    }
}

/// Keeps a value alive so the optimiser cannot delete the loop that made it.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
