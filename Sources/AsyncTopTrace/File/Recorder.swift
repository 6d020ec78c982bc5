import DequeModule

#if canImport(Glibc)
    import Glibc
#endif

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
/// demand (on exit, on a signal, when a warning fires). A window once written is kept: every later dump writes it
/// again with the newer windows, so the file written last holds every window any dump saved (a warning's window is
/// not lost to the dump at exit). Memory is bounded by the window's events, plus those of the windows saved.
public final class FlightRecorder {
    public let windowTicks: UInt64
    private let source: any Source
    /// The window: batches in arrival order, each with its sequence number and newest event time.
    private var batches: Deque<(sequence: Int, newest: UInt64, batch: EventBatch)> = []
    /// Batches a dump has written, in arrival order; kept when they leave the window.
    private var saved: [EventBatch] = []
    /// The sequence number of the newest batch in `saved` (-1: none).
    private var newestSaved = -1
    /// The stretch of trace time each dump kept (ticks), written as the file's span chunks: the reader merges
    /// those that overlap, and what lies between two is a gap the file has no events of.
    private var windows: [ClosedRange<UInt64>] = []
    private var nextSequence = 0
    public private(set) var retainedEvents = 0
    /// The windows the file holds, apart (those that overlap count once).
    public var windowCount: Int { windows.count }

    public init(source: any Source, windowNanoseconds: UInt64) {
        self.source = source
        windowTicks = source.info.calibration.ticks(nanoseconds: windowNanoseconds)
    }

    /// Keeps a batch, dropping whole batches that fell out of the window (those a dump saved stay in `saved`).
    public func keep(_ batch: EventBatch) {
        guard !batch.events.isEmpty || batch.missed > 0 else { return }
        let newest = batch.events.map(\.time).max() ?? batches.last?.newest ?? 0
        batches.append((nextSequence, newest, batch))
        nextSequence += 1
        retainedEvents += batch.events.count
        let horizon = newest > windowTicks ? newest - windowTicks : 0
        while let first = batches.first, first.newest < horizon {
            if first.sequence > newestSaved { retainedEvents -= first.batch.events.count }
            batches.removeFirst()
        }
    }

    /// Writes every saved window and the current one (ending at `nowTicks`, trace time) to `path`, in the order they
    /// were read, with each window's span. The file is written beside `path` (`.tmp`) and renamed over it, so a
    /// dump cut short leaves the previous one whole. Returns the events written.
    @discardableResult
    public func dump(to path: String, nowTicks: UInt64) throws(TraceFileError) -> UInt64 {
        // The window reaches back a window's length, or to its oldest event (batches leave it whole).
        let oldest = batches.first?.batch.events.lazy.map(\.time).min() ?? nowTicks
        let window = min(oldest, nowTicks - min(nowTicks, windowTicks))...max(nowTicks, batches.last?.newest ?? 0)
        if let last = windows.last, window.lowerBound <= last.upperBound {
            windows[windows.count - 1] = last.lowerBound...max(last.upperBound, window.upperBound)
        } else {
            windows.append(window)
        }
        for entry in batches where entry.sequence > newestSaved {
            saved.append(entry.batch)
            newestSaved = entry.sequence
        }
        let temporary = path + ".tmp"
        let writer = try TraceFileWriter(path: temporary, info: source.info)
        do {
            for batch in saved { try writer.append(batch, names: source.names) }
            for window in windows { writer.recordSpan(startTicks: window.lowerBound, endTicks: window.upperBound) }
            try writer.finish()
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary)
            throw .cannotWrite(path: path, errno: e)
        }
        return writer.eventsWritten
    }
}
