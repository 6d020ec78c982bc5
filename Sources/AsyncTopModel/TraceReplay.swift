import AsyncTopTrace

/// Replays a recorded trace: the aggregate state at any point of recorded time.
///
/// Opening walks the file once, aggregating chunk by chunk and keeping a checkpoint (a copy of the
/// aggregator: a value, so copies share storage until they diverge) every `checkpointInterval` chunks. A
/// seek then restores the nearest checkpoint at or before the target and aggregates forward from there, at
/// most `checkpointInterval` chunks: seeking costs the same anywhere in a file of any size, and events are
/// read from disk a chunk at a time, never all at once.
public final class TraceReplay {
    public let reader: TraceFileReader
    public private(set) var aggregator: Aggregator
    /// Index of the next chunk to ingest.
    public private(set) var nextChunk = 0
    /// Recorded time shown, ns since the epoch.
    public private(set) var position: UInt64 = 0
    public let startNanoseconds: UInt64
    public let endNanoseconds: UInt64
    /// Chunks that failed to decode during the first pass (named by offset).
    public private(set) var problems: [String] = []
    public static let checkpointInterval = 128

    private let initial: Aggregator
    private var checkpoints: [(chunk: Int, aggregator: Aggregator)] = []
    private var batch = EventBatch()
    /// Highest event time of each chunk and all before it (chunks of different rings interleave slightly).
    private var reachedBy: [UInt64] = []
    /// Times of all warnings, for "jump to the next warning".
    /// Every warning of the trace, in the order it was raised: its time, and the chunk whose ingestion raised it
    /// (the state holds the warning once that chunk is in).
    public private(set) var warningMarks: [(atNanoseconds: UInt64, chunk: Int)] = []

    public init(
        reader: TraceFileReader, thresholds: WarningThresholds = WarningThresholds(),
        retentionNanoseconds: UInt64 = 10_000_000_000, progress: (Double) -> Void = { _ in }
    ) {
        self.reader = reader
        aggregator = Aggregator(calibration: reader.info.calibration, thresholds: thresholds, retentionNanoseconds: retentionNanoseconds)
        initial = aggregator
        let calibration = reader.info.calibration
        var highest: UInt64 = 0
        reachedBy.reserveCapacity(reader.chunks.count)
        for chunk in reader.chunks {
            highest = max(highest, calibration.nanoseconds(chunk.lastTime))
            reachedBy.append(highest)
        }
        startNanoseconds = reader.chunks.first.map { calibration.nanoseconds($0.firstTime) } ?? 0
        endNanoseconds = highest
        // First pass: checkpoints and warning times.
        var seenWarnings = 0
        for index in reader.chunks.indices {
            if index % Self.checkpointInterval == 0 { checkpoints.append((index, aggregator)) }
            ingest(chunk: index)
            let total = aggregator.state.totals.warnings
            if total > UInt64(seenWarnings) {
                warningMarks += aggregator.state.warnings.suffix(Int(total) - seenWarnings).map { ($0.atNanoseconds, index) }
                seenWarnings = Int(total)
            }
            if index % 256 == 0 { progress(Double(index) / Double(max(1, reader.chunks.count))) }
        }
        position = endNanoseconds
    }

    /// The whole trace aggregated (after `init`, before any seek).
    public var finalState: RuntimeState { aggregator.state }

    private func ingest(chunk index: Int) {
        let chunk = reader.chunks[index]
        batch.removeAll()
        batch.missedByRing = [chunk.missedBefore - (index > 0 ? reader.chunks[index - 1].missedBefore : 0)]
        do {
            try reader.events(of: chunk, into: &batch.events)
        } catch {
            problems.append(error.description)
            batch.events.removeAll()
        }
        batch.segments = [EventBatch.Segment(ring: reader.ring(of: chunk), range: 0..<batch.events.count)]
        aggregator.ingest(batch, names: reader.names)
        nextChunk = index + 1
    }

    /// Shows recorded time `target` (clamped to the trace): the state is as a live monitor had it then.
    public func seek(to target: UInt64) {
        let time = min(max(target, startNanoseconds), endNanoseconds)
        // Chunks needed: all whose every event is at or before `time`, i.e. the first chunk that reaches past
        // it stays out.
        var low = 0
        var high = reachedBy.count
        while low < high {
            let mid = (low + high) / 2
            if reachedBy[mid] <= time { low = mid + 1 } else { high = mid }
        }
        seek(chunks: low, time: time)
    }

    /// Shows warning `index` of `warningMarks`: the state just after the chunk that raised it, so the warning is
    /// there (a seek to its time alone leaves out the chunk whose later events reach past it).
    public func seek(toWarning index: Int) {
        let mark = warningMarks[index]
        seek(chunks: mark.chunk + 1, time: max(mark.atNanoseconds, reachedBy[mark.chunk]))
    }

    /// Ingests exactly the first `wanted` chunks (from the nearest checkpoint) and moves time to `time`.
    private func seek(chunks wanted: Int, time: UInt64) {
        if wanted < nextChunk || wanted - nextChunk > Self.checkpointInterval {
            let checkpoint = checkpoints.last { $0.chunk <= wanted }
            aggregator = checkpoint?.aggregator ?? initial
            nextChunk = checkpoint?.chunk ?? 0
        }
        while nextChunk < wanted { ingest(chunk: nextChunk) }
        aggregator.advance(to: time)
        position = time
    }
}
