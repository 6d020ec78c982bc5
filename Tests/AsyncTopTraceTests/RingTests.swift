import AsyncTopTrace
import Foundation
import Synchronization
import Testing

/// What one reader saw, checked event by event.
private struct ReaderTally {
    var delivered: UInt64 = 0
    var missed: UInt64 = 0
    var torn: Int = 0
    var outOfOrder: Int = 0
    /// Sequence numbers that never arrived: must equal `missed` once the producer is done.
    var skipped: UInt64 = 0
    var next: UInt64 = 0

    /// Checks a batch from the single ring: sequence numbers strictly increase, every payload's checksum holds,
    /// and the sequence numbers skipped equal the missed count reported.
    mutating func check(_ batch: EventBatch, missedBefore: UInt64) {
        for event in batch.events {
            if event.arg != payloadChecksum(sequence: event.id, time: event.time) { torn += 1 }
            if event.id < next { outOfOrder += 1 }
            skipped += event.id - min(event.id, next)
            next = event.id + 1
        }
        delivered += UInt64(batch.events.count)
        missed += batch.missed - missedBefore
    }
}

@Suite struct RingTests {
    @Test func readerSeesWrapAroundInOrder() throws {
        let region = try Region(layout: RegionLayout(ringCount: 1, ringCapacity: 8, namesCapacity: 64))
        let tracer = region.makeTracer(loop: 0)
        let source = InProcessSource(region: region)
        var batch = EventBatch()
        var seen: [UInt64] = []
        for i in 0..<100 as Range<UInt64> {
            tracer.emit(.mark, loop: 0, id: i)
            if i % 5 == 4 {
                _ = source.read(into: &batch, limit: .max)
                seen += batch.events.map(\.id)
                batch.removeAll()
            }
        }
        #expect(seen == Array(0..<100))
    }

    @Test func overwriteIsCountedExactly() throws {
        let region = try Region(layout: RegionLayout(ringCount: 1, ringCapacity: 16, namesCapacity: 64))
        let tracer = region.makeTracer(loop: 0)
        let source = InProcessSource(region: region)
        for i in 0..<100 as Range<UInt64> { tracer.emit(.mark, loop: 0, id: i) }
        var batch = EventBatch()
        _ = source.read(into: &batch, limit: .max)
        // 100 written into 16 slots: a reader takes the newest 15, since the slot of the oldest may be the one
        // a producer is overwriting at that moment.
        #expect(batch.events.map(\.id) == Array(85..<100))
        #expect(batch.missed == 85)
        #expect(UInt64(batch.events.count) + batch.missed == tracer.eventsWritten)
    }

    @Test func readerLimitLeavesTheRestForLater() throws {
        let region = try Region(layout: RegionLayout(ringCount: 1, ringCapacity: 64, namesCapacity: 64))
        let tracer = region.makeTracer(loop: 0)
        for i in 0..<50 as Range<UInt64> { tracer.emit(.mark, loop: 0, id: i) }
        let source = InProcessSource(region: region)
        var batch = EventBatch()
        _ = source.read(into: &batch, limit: 20)
        #expect(batch.events.map(\.id) == Array(0..<20))
        _ = source.read(into: &batch, limit: .max)
        #expect(batch.events.map(\.id) == Array(0..<50))
    }

    /// A producer at full speed, a reader draining as fast as it can and a reader that sleeps between reads:
    /// for each, delivered + missed == produced exactly, no event is torn, and order holds.
    @Test func fullSpeedProducerFastAndSlowReaders() throws {
        let region = try Region(layout: RegionLayout(ringCount: 1, ringCapacity: 1024, namesCapacity: 64))
        let produced: UInt64 = 2_000_000
        let done = Atomic<Bool>(false)
        let producer = Thread {
            let tracer = region.makeTracer(loop: 1)
            for sequence in 0..<produced {
                let time = tracer.now()
                tracer.emit(
                    .mark, at: time, loop: 1, id: sequence, arg: payloadChecksum(sequence: sequence, time: time))
            }
            done.store(true, ordering: .releasing)
        }
        let tallies = Mutex<[ReaderTally]>([])
        func reader(pauseMicroseconds: UInt32) -> Thread {
            Thread {
                let source = InProcessSource(region: region)
                var batch = EventBatch()
                var tally = ReaderTally()
                while true {
                    let finished = done.load(ordering: .acquiring)
                    let missedBefore = batch.missed
                    batch.events.removeAll(keepingCapacity: true)
                    _ = source.read(into: &batch, limit: 4096)
                    tally.check(batch, missedBefore: missedBefore)
                    if finished && batch.events.isEmpty && batch.missed == missedBefore { break }
                    if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
                }
                tallies.withLock { $0.append(tally) }
            }
        }
        let readers = [reader(pauseMicroseconds: 0), reader(pauseMicroseconds: 200)]
        for reader in readers { reader.start() }
        producer.start()
        while tallies.withLock({ $0.count }) < 2 { usleep(10_000) }
        for tally in tallies.withLock({ $0 }) {
            #expect(tally.delivered + tally.missed == produced)
            #expect(tally.torn == 0)
            #expect(tally.outOfOrder == 0)
            #expect(tally.skipped + (produced - tally.next) == tally.missed)
        }
        // The slow reader must actually have lost events, or the test proved nothing about overwrite.
        #expect(tallies.withLock { $0.contains { $0.missed > 0 } })
    }
}
