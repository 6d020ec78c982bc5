import AsyncTopTrace

/// Replays a recorded trace: the aggregate state at any point of recorded time.
///
/// Chunks are ingested in steps, a step being at most what one read of the recorder brought: the recorder writes
/// each read's events ring by ring, one run of chunks per ring (a chunk closes when full, and at the read's end),
/// so a step ends where a ring it already holds comes again after a chunk that was not full, and where the next
/// chunk starts after every event of the step (nothing to merge). The aggregator merges a step's rings by time,
/// as it merged that read live; ingesting chunk by chunk instead would put a whole ring's read before the others'
/// (seconds of them, in a late reader's first read). Opening walks the
/// file once, aggregating step by step and keeping a checkpoint (a copy of the aggregator: a value, so copies
/// share storage until they diverge) every `checkpointInterval` steps. A seek then restores the nearest checkpoint
/// at or before the target and aggregates forward from there, at most `checkpointInterval` steps: seeking costs
/// the same anywhere in a file of any size, and events are read from disk a step at a time, never all at once.
public final class TraceReplay {
    public let reader: TraceFileReader
    public private(set) var aggregator: Aggregator
    /// Index of the next step to ingest.
    public private(set) var nextStep = 0
    /// Recorded time shown, ns since the epoch.
    public private(set) var position: UInt64 = 0
    public let startNanoseconds: UInt64
    public let endNanoseconds: UInt64
    /// Stretches the file has no events of (a flight recording's gaps between windows), in trace nanoseconds, in
    /// order. Playing skips them.
    public let gaps: [ClosedRange<UInt64>]
    /// Chunks that failed to decode during the first pass (named by offset).
    public private(set) var problems: [String] = []
    /// The task kept past its retention (`Aggregator.keptTask`), whichever checkpoint a seek starts from.
    public var keptTask: UInt64? {
        get { aggregator.keptTask }
        set { aggregator.keptTask = newValue }
    }
    public static let checkpointInterval = 32
    /// Most chunks in one step: bounds the events a step holds in memory.
    static let stepChunkLimit = 256

    private let initial: Aggregator
    private var checkpoints: [(step: Int, aggregator: Aggregator)] = []
    private var batch = EventBatch()
    /// The chunks of each step.
    private var steps: [Range<Int>] = []
    /// Highest event time of each step and all before it.
    private var reachedBy: [UInt64] = []
    /// Every warning of the trace, in the order it was raised: its time, and the step whose ingestion raised it
    /// (the state holds the warning once that step is in).
    public private(set) var warningMarks: [(atNanoseconds: UInt64, step: Int)] = []

    public init(
        reader: TraceFileReader, thresholds: WarningThresholds = WarningThresholds(),
        retentionNanoseconds: UInt64 = 10_000_000_000, progress: (Double) -> Void = { _ in }
    ) {
        self.reader = reader
        let calibration = reader.info.calibration
        func nanoseconds(_ ticks: UInt64) -> UInt64 {
            min(calibration.nanoseconds(ticks), Aggregator.latestNanoseconds)
        }
        // The recording's span when the file has one (a program idle after its last event was still recorded).
        let span = reader.recordedSpan.map {
            nanoseconds($0.lowerBound)...nanoseconds($0.upperBound)
        }
        gaps = reader.gaps.map { nanoseconds($0.lowerBound)...nanoseconds($0.upperBound) }
        aggregator = Aggregator(
            calibration: calibration, thresholds: thresholds, retentionNanoseconds: retentionNanoseconds)
        if let span { aggregator.startClock(at: span.lowerBound) }
        initial = aggregator
        var highest: UInt64 = 0
        var stepStart = 0
        var stepReach: UInt64 = 0
        var ringsInStep: Set<Int> = []
        for (index, chunk) in reader.chunks.enumerated() {
            if index > stepStart {
                let previous = reader.chunks[index - 1]
                let continuesRing = previous.ring == chunk.ring && previous.count >= TraceFileFormat.eventsPerChunk
                let nextRead = ringsInStep.contains(chunk.ring) && !continuesRing
                if nextRead || chunk.firstTime > stepReach || index - stepStart >= Self.stepChunkLimit {
                    steps.append(stepStart..<index)
                    reachedBy.append(highest)
                    stepStart = index
                    ringsInStep.removeAll(keepingCapacity: true)
                }
            }
            stepReach = index == stepStart ? chunk.lastTime : max(stepReach, chunk.lastTime)
            ringsInStep.insert(chunk.ring)
            highest = max(highest, nanoseconds(chunk.lastTime))
        }
        if stepStart < reader.chunks.count {
            steps.append(stepStart..<reader.chunks.count)
            reachedBy.append(highest)
        }
        let firstEvent = reader.chunks.first.map { nanoseconds($0.firstTime) }
        startNanoseconds = min(firstEvent ?? span?.lowerBound ?? 0, span?.lowerBound ?? .max)
        // Never before the start: a damaged file's chunks can claim any times (found by the atrace fuzz target;
        // views subtract).
        endNanoseconds = max(highest, span?.upperBound ?? 0, startNanoseconds)
        // First pass: checkpoints and warning times.
        var seenWarnings = 0
        for index in steps.indices {
            if index % Self.checkpointInterval == 0 { checkpoints.append((index, aggregator)) }
            ingest(step: index)
            let total = aggregator.state.totals.warnings
            if total > UInt64(seenWarnings) {
                warningMarks += aggregator.state.warnings.suffix(Int(total) - seenWarnings).map {
                    ($0.atNanoseconds, index)
                }
                seenWarnings = Int(total)
            }
            if index % 256 == 0 { progress(Double(index) / Double(max(1, steps.count))) }
        }
        aggregator.judgePending()
        if span != nil {
            aggregator.advance(to: endNanoseconds)
            let total = Int(aggregator.state.totals.warnings)
            if total > seenWarnings, let last = steps.indices.last {
                warningMarks += aggregator.state.warnings.suffix(total - seenWarnings).map { ($0.atNanoseconds, last) }
            }
        }
        position = endNanoseconds
    }

    /// The whole trace aggregated (after `init`, before any seek).
    public var finalState: RuntimeState { aggregator.state }

    private func ingest(step index: Int) {
        batch.removeAll()
        batch.segments.removeAll(keepingCapacity: true)
        var missed: UInt64 = 0
        for chunkIndex in steps[index] {
            let chunk = reader.chunks[chunkIndex]
            missed &+= chunk.missedBefore &- (chunkIndex > 0 ? reader.chunks[chunkIndex - 1].missedBefore : 0)
            let start = batch.events.count
            do {
                try reader.events(of: chunk, into: &batch.events)
            } catch {
                problems.append(error.description)
                batch.events.removeSubrange(start...)
            }
            batch.segments.append(EventBatch.Segment(ring: reader.ring(of: chunk), range: start..<batch.events.count))
        }
        batch.missedByRing = [missed]
        // The gaps that end before this step's events, said before them (the state counts the ones said).
        if let first = steps[index].first {
            let firstTime = reader.info.calibration.nanoseconds(reader.chunks[first].firstTime)
            while aggregator.state.gaps.count < gaps.count, gaps[aggregator.state.gaps.count].upperBound <= firstTime {
                let gap = gaps[aggregator.state.gaps.count]
                aggregator.gap(from: gap.lowerBound, to: gap.upperBound)
            }
        }
        aggregator.ingest(batch, names: reader.names)
        nextStep = index + 1
    }

    /// Shows recorded time `target` (clamped to the trace): the state is as a live monitor had it then.
    public func seek(to target: UInt64) {
        let time = min(max(target, startNanoseconds), endNanoseconds)
        // Steps needed: all whose every event is at or before `time`, i.e. the first step that reaches past it
        // stays out.
        var low = 0
        var high = reachedBy.count
        while low < high {
            let mid = (low + high) / 2
            if reachedBy[mid] <= time { low = mid + 1 } else { high = mid }
        }
        seek(steps: low, time: time)
    }

    /// Shows warning `index` of `warningMarks`: the state just after the step that raised it, so the warning is
    /// there (a seek to its time alone leaves out the step whose later events reach past it).
    public func seek(toWarning index: Int) {
        let mark = warningMarks[index]
        seek(steps: mark.step + 1, time: max(mark.atNanoseconds, reachedBy[mark.step]))
    }

    /// Ingests exactly the first `wanted` steps (from the nearest checkpoint) and moves time to `time`.
    private func seek(steps wanted: Int, time: UInt64) {
        if wanted < nextStep || wanted - nextStep > Self.checkpointInterval {
            let checkpoint = checkpoints.last { $0.step <= wanted }
            let kept = keptTask
            aggregator = checkpoint?.aggregator ?? initial
            keptTask = kept
            nextStep = checkpoint?.step ?? 0
        }
        while nextStep < wanted { ingest(step: nextStep) }
        aggregator.advance(to: time)
        position = time
    }
}
