/// The one loop that reads a live source, for every consumer: what is new is taken without waiting (the traced
/// program never waits for its reader), in chunks of `chunkEvents`, and the time until the next read follows the
/// source's rate so that its rings do not overflow (`readIntervalNanoseconds`). Once the source has ended, its
/// remainder is read and `endReason` says why. The model's `LiveIngest` (the monitor, `asynctop serve`), `asynctop
/// record` and `asynctop events` read through it.
///
/// Threading: one thread at a time (the owner's). Cost: O(events read); no allocation once the batch has grown to
/// a chunk.
public final class PacedReader {
    public let source: any Source
    /// Why the source ended (its producer exited, its region went away), once it has.
    public private(set) var endReason: String?
    /// Events handed on at a time: 2 048 events (64 KiB) for a reader that aggregates (see `LiveIngest`); a
    /// recorder takes bigger chunks (its file chunks follow them).
    public let chunkEvents: Int
    private var batch = EventBatch()

    /// Most events one `readAvailable` takes, so that a flood cannot hold the reader's other work back for long.
    static let readEventLimit = 1 << 20
    public static let readIntervalBounds: ClosedRange<UInt64> = 2_000_000...50_000_000

    /// The time the last read's event rate takes to fill half a ring, within 2–50 ms, growing by at most a quarter
    /// per read and shrinking at once: a busy source is read often enough that its rings do not overflow, a quiet
    /// one rarely (from quiet, a burst of up to 1.3M events/s fits a default ring of 128 Ki events). Waking costs a
    /// reader more than the events it reads: at 1.2M events/s, reading every 50 ms instead of every 20 ms took the
    /// monitor from 5.2 % to 4.4 % of a core. All rings' events count against one ring's capacity: an
    /// overestimate, on the safe side.
    public private(set) var readIntervalNanoseconds = PacedReader.readIntervalBounds.lowerBound
    private var lastReadWallNanoseconds: UInt64?

    public init(source: any Source, chunkEvents: Int = 2_048) {
        self.source = source
        self.chunkEvents = chunkEvents
    }

    /// Reads what is new, handing each chunk to `body` with `more`: true when the chunk filled up, so that more of
    /// this read may still be in the rings, read to different times (time-based judgements wait for the rest).
    /// Once the source ends, its remainder is handed on (`more` false) and `endReason` is set; later calls do
    /// nothing.
    public func readAvailable(wallNanoseconds: UInt64, _ body: (_ batch: EventBatch, _ more: Bool) throws -> Void)
        rethrows
    {
        guard endReason == nil else { return }
        var status = SourceStatus.live
        var produced = 0
        var more = true
        while more {
            batch.removeAll()
            status = source.read(into: &batch, limit: chunkEvents)
            let missed = Int(clamping: batch.missed)
            produced += batch.events.count + missed
            // A chunk that was short only because events were lost to overwriting is not the end. Events left out
            // as older than an attaching reader's history count too: the read was not short.
            let full = batch.events.count + Int(clamping: batch.beforeReader) >= chunkEvents || missed > 0
            more = status == .live && !batch.events.isEmpty && full && produced < Self.readEventLimit
            try body(batch, full)
        }
        adaptReadInterval(produced: produced, wallNanoseconds: wallNanoseconds)
        if case .ended(let reason) = status {
            batch.removeAll()
            _ = source.read(into: &batch, limit: .max)
            endReason = reason
            try body(batch, false)
        }
    }

    /// `produced` counts the events read and those lost: what the source wrote since the last read.
    private func adaptReadInterval(produced: Int, wallNanoseconds: UInt64) {
        defer { lastReadWallNanoseconds = wallNanoseconds }
        guard let last = lastReadWallNanoseconds, wallNanoseconds > last else { return }
        let halfRing = Double(max(source.info.ringCapacity / 2, 1))
        let fillTime = Double(wallNanoseconds - last) * halfRing / Double(max(produced, 1))
        let bounds = Self.readIntervalBounds
        let grown = min(Double(readIntervalNanoseconds) * 1.25, Double(bounds.upperBound))
        readIntervalNanoseconds = max(UInt64(min(fillTime, grown)), bounds.lowerBound)
    }
}
