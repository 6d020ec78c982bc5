import DequeModule

/// Copies a source into a `.atrace` file as it runs: each `pump()` reads what is new and appends it.
/// Headless and cheap (one pass of varint encoding); the producer never waits for it.
public final class Recorder {
    public let writer: TraceFileWriter
    private let source: any Source
    private var batch = EventBatch()

    public init(source: any Source, writer: TraceFileWriter) {
        self.source = source
        self.writer = writer
    }

    /// Reads and writes everything available now. Returns the source's status.
    @discardableResult
    public func pump() throws(TraceFileError) -> SourceStatus {
        batch.removeAll()
        let status = source.read(into: &batch, limit: 1 << 20)
        try writer.append(batch, names: source.names)
        if case .ended = status {
            batch.removeAll()
            _ = source.read(into: &batch, limit: .max)
            try writer.append(batch, names: source.names)
        }
        return status
    }
}

/// The flight recorder: keeps only the most recent `window` of trace time in memory and writes it out on
/// demand (on exit, on a signal, when a warning fires). Memory is bounded by the window's events.
public final class FlightRecorder {
    public let windowTicks: UInt64
    private let source: any Source
    private var batches: Deque<(newest: UInt64, batch: EventBatch)> = []
    public private(set) var retainedEvents = 0

    public init(source: any Source, windowNanoseconds: UInt64) {
        self.source = source
        windowTicks = source.info.calibration.ticks(nanoseconds: windowNanoseconds)
    }

    /// Keeps a batch, dropping whole batches that fell out of the window.
    public func keep(_ batch: EventBatch) {
        guard !batch.events.isEmpty || batch.missed > 0 else { return }
        let newest = batch.events.map(\.time).max() ?? batches.last?.newest ?? 0
        batches.append((newest, batch))
        retainedEvents += batch.events.count
        let horizon = newest > windowTicks ? newest - windowTicks : 0
        while let first = batches.first, first.newest < horizon {
            retainedEvents -= first.batch.events.count
            batches.removeFirst()
        }
    }

    /// Writes the window to `path` (replacing it). Returns the events written.
    @discardableResult
    public func dump(to path: String) throws(TraceFileError) -> UInt64 {
        let writer = try TraceFileWriter(path: path, info: source.info)
        for (_, batch) in batches { try writer.append(batch, names: source.names) }
        try writer.finish()
        return writer.eventsWritten
    }
}
