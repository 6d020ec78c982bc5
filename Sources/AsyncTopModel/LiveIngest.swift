import AsyncTopTrace

/// The one way to read a live source into the model: reads whatever is new without waiting (so the traced program
/// never waits for its reader), in cache-sized chunks, as often as the source's rate needs so that its rings do
/// not overflow (`readIntervalNanoseconds`), and keeps trace time moving with the wall clock between events.
/// The monitor (`LiveFeed`), `asynctop serve` and the benchmarks read through it.
///
/// Threading: one thread at a time (the owner's); not `Sendable`. Cost: O(events read); no allocation once the
/// batch has grown to a chunk.
public final class LiveIngest {
    public private(set) var aggregator: Aggregator
    public let source: any Source
    /// Why the source ended (its producer exited, its region went away), once it has; the state is then final.
    public private(set) var endReason: String?
    private var batch = EventBatch()

    public init(source: any Source, thresholds: WarningThresholds, retentionNanoseconds: UInt64) {
        self.source = source
        aggregator = Aggregator(calibration: source.info.calibration, thresholds: thresholds, retentionNanoseconds: retentionNanoseconds)
    }

    public var state: RuntimeState { aggregator.state }

    /// Events read and ingested at a time: 2 048 events (64 KiB) are still in the core's L2 cache when the
    /// aggregator reads them, where everything new at once (60 000 events, 1.9 MiB, after 50 ms of a loop
    /// emitting 1.2M events/s) would go out to L3 and back (measured: 4.8 % of a core instead of 5.0 %).
    static let chunkEvents = 2_048
    /// Most events one update ingests, so that a flood cannot hold the reader's other work back for long.
    static let updateEventLimit = 1 << 20
    public static let readIntervalBounds: ClosedRange<UInt64> = 2_000_000...50_000_000

    /// The time the last update's event rate takes to fill half a ring, within 2–50 ms, growing by at most a
    /// quarter per update and shrinking at once: a busy source is read often enough that its rings do not
    /// overflow, a quiet one rarely (from quiet, a burst of up to 1.3M events/s fits a default ring of 128 Ki
    /// events). Waking costs a reader more than the events it reads: at 1.2M events/s, reading every 50 ms
    /// instead of every 20 ms took the monitor from 5.2 % to 4.4 % of a core. All rings' events count against one
    /// ring's capacity: an overestimate, on the safe side.
    public private(set) var readIntervalNanoseconds = LiveIngest.readIntervalBounds.lowerBound
    private var lastUpdateWallNanoseconds: UInt64?

    /// Reads and ingests what is new; once the source has ended, reads its remainder and marks the producer ended.
    /// `advancingClock`: move trace time to now afterwards (time-based rules then see the time that passed with
    /// no events: a blocked loop, an idle task), as a reader does before it shows or exports the state.
    public func update(wallNanoseconds: UInt64, advancingClock: Bool) {
        if endReason == nil {
            var status = SourceStatus.live
            var produced = 0
            var more = true
            while more {
                batch.removeAll()
                status = source.read(into: &batch, limit: Self.chunkEvents)
                let missed = Int(clamping: batch.missed)
                produced += batch.events.count + missed
                // A chunk that was short only because events were lost to overwriting is not the end.
                // Events left out as older than an attaching reader's history count too: the read was not short.
                let full = batch.events.count + Int(clamping: batch.beforeReader) >= Self.chunkEvents || missed > 0
                more = status == .live && !batch.events.isEmpty && full && produced < Self.updateEventLimit
                // A full chunk left rings unread: the time-based rules wait for the rest.
                aggregator.ingest(batch, names: source.names, judging: !full)
            }
            adaptReadInterval(produced: produced, wallNanoseconds: wallNanoseconds)
            if case .ended(let reason) = status {
                batch.removeAll()
                _ = source.read(into: &batch, limit: .max)
                aggregator.ingest(batch, names: source.names)
                aggregator.producerEnded()
                endReason = reason
            }
        }
        if advancingClock, endReason == nil {
            let calibration = source.info.calibration
            aggregator.advance(to: calibration.nanoseconds(TraceClock.now(of: calibration.kind) &- calibration.epochTicks))
        }
    }

    /// `produced` counts the events read and those lost: what the source wrote since the last update.
    private func adaptReadInterval(produced: Int, wallNanoseconds: UInt64) {
        defer { lastUpdateWallNanoseconds = wallNanoseconds }
        guard let last = lastUpdateWallNanoseconds, wallNanoseconds > last else { return }
        let halfRing = Double(max(source.info.ringCapacity / 2, 1))
        let fillTime = Double(wallNanoseconds - last) * halfRing / Double(max(produced, 1))
        let bounds = Self.readIntervalBounds
        let grown = min(Double(readIntervalNanoseconds) * 1.25, Double(bounds.upperBound))
        readIntervalNanoseconds = max(UInt64(min(fillTime, grown)), bounds.lowerBound)
    }
}
