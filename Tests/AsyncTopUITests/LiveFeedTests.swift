import AsyncTopModel
import AsyncTopTrace
import AsyncTopUI
import Testing

/// The live feed's reading: every event ingested however many chunks it takes, and the read interval following
/// the source's rate (wall times are given, not measured, so nothing here depends on the machine's speed).
@Suite struct LiveFeedTests {
    /// A feed over a region of one ring (by default of 1 024 events: half a ring is 512 events).
    func makeFeed(ringCapacity: Int = 1_024) throws -> (LiveFeed, Tracer) {
        let region = try Region(layout: RegionLayout(ringCount: 1, ringCapacity: ringCapacity, namesCapacity: 4_096))
        let feed = LiveFeed(
            source: InProcessSource(region: region), thresholds: WarningThresholds(),
            retentionNanoseconds: 1_000_000_000)
        return (feed, region.makeTracer(loop: 1))
    }

    func emitCallbacks(_ count: Int, from firstID: UInt64, on tracer: Tracer) {
        for id in firstID..<(firstID + UInt64(count)) {
            tracer.emit(.callbackEnqueued, loop: 1, id: id)
            tracer.emit(.callbackBegan, loop: 1, id: id)
            tracer.emit(.callbackEnded, loop: 1, id: id)
        }
    }

    @Test func anUpdateIngestsEverythingNewInChunks() throws {
        let (feed, tracer) = try makeFeed(ringCapacity: 1 << 14)
        emitCallbacks(5_000, from: 1, on: tracer)  // 15 000 events: several chunks
        feed.update(wallNanoseconds: 1, final: false)
        #expect(feed.state.totals.events == 15_000)
        #expect(feed.state.totals.callbacks == 5_000)
        #expect(feed.state.totals.missed == 0)
    }

    @Test func theReadIntervalIsTheTimeToFillHalfARing() throws {
        let (feed, tracer) = try makeFeed()
        feed.update(wallNanoseconds: 1_000_000_000, final: false)
        #expect(feed.readIntervalNanoseconds == 2_000_000)  // no rate known yet: the shortest
        // 256 events in 1 ms: 512 take 2 ms.
        emitCallbacks(85, from: 1, on: tracer)
        tracer.emit(.mark, loop: 1)
        feed.update(wallNanoseconds: 1_001_000_000, final: false)
        #expect(feed.readIntervalNanoseconds == 2_000_000)
        // A quiet source is read less and less often, growing by a quarter per update, up to 50 ms.
        var now: UInt64 = 1_001_000_000
        var intervals: [UInt64] = []
        for _ in 0..<20 {
            now += 10_000_000
            feed.update(wallNanoseconds: now, final: false)
            intervals.append(feed.readIntervalNanoseconds)
        }
        #expect(intervals.prefix(3) == [2_500_000, 3_125_000, 3_906_250])
        #expect(intervals.last == 50_000_000)
        // A burst shortens it at once: 512 events in 10 ms fill half the ring in 10 ms.
        emitCallbacks(170, from: 100, on: tracer)
        tracer.emit(.mark, loop: 1)
        tracer.emit(.mark, loop: 1)
        now += 10_000_000
        feed.update(wallNanoseconds: now, final: false)
        #expect(feed.readIntervalNanoseconds == 10_000_000)
        #expect(feed.state.totals.missed == 0)
    }

    @Test func eventsLostToOverwritingCountTowardsTheRate() throws {
        let (feed, tracer) = try makeFeed()
        var now: UInt64 = 1_000_000_000
        for _ in 0..<20 {
            feed.update(wallNanoseconds: now, final: false)
            now += 10_000_000
        }
        #expect(feed.readIntervalNanoseconds == 50_000_000)
        emitCallbacks(1_000, from: 1, on: tracer)  // 3 000 events into a ring of 1 024
        now += 90_000_000
        feed.update(wallNanoseconds: now, final: false)
        #expect(feed.state.totals.missed > 0)
        #expect(feed.state.totals.missed + feed.state.totals.events == 3_000)
        // 3 000 events in 100 ms: 512 in ~17 ms (the 1 023 read alone would say 50 ms).
        #expect(feed.readIntervalNanoseconds == 17_066_666)
    }
}
