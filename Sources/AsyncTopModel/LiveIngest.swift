import AsyncTopTrace

/// A live source read into the model: `PacedReader`'s chunks ingested by an `Aggregator`, and trace time kept
/// moving with the wall clock between events. The monitor (`LiveFeed`), `asynctop serve` and the benchmarks read
/// through it.
///
/// Threading: one thread at a time (the owner's); not `Sendable`. Cost: O(events read).
public final class LiveIngest {
    public private(set) var aggregator: Aggregator
    public let reader: PacedReader
    public var source: any Source { reader.source }
    /// Why the source ended, once it has; the state is then final.
    public var endReason: String? { reader.endReason }
    public var readIntervalNanoseconds: UInt64 { reader.readIntervalNanoseconds }
    public var state: RuntimeState { aggregator.state }
    /// The task kept past its retention (`Aggregator.keptTask`).
    public var keptTask: UInt64? {
        get { aggregator.keptTask }
        set { aggregator.keptTask = newValue }
    }

    public init(source: any Source, thresholds: WarningThresholds, retentionNanoseconds: UInt64) {
        reader = PacedReader(source: source)
        aggregator = Aggregator(
            calibration: source.info.calibration, thresholds: thresholds, retentionNanoseconds: retentionNanoseconds)
    }

    /// Reads and ingests what is new; once the source has ended, its remainder, and marks the producer ended.
    /// `advancingClock`: move trace time to now afterwards (time-based rules then see the time that passed with
    /// no events: a blocked loop, an idle task), as a reader does before it shows or exports the state.
    public func update(wallNanoseconds: UInt64, advancingClock: Bool) {
        guard reader.endReason == nil else { return }
        let names = reader.source.names
        reader.readAvailable(wallNanoseconds: wallNanoseconds) { batch, more in
            // A full chunk left rings unread: the time-based rules wait for the rest.
            aggregator.ingest(batch, names: names, judging: !more)
        }
        if reader.endReason != nil {
            aggregator.producerEnded()
        } else if advancingClock {
            let calibration = reader.source.info.calibration
            aggregator.advance(
                to: calibration.nanoseconds(TraceClock.now(of: calibration.kind) &- calibration.epochTicks))
        }
    }
}
