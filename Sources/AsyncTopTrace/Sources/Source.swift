/// Where the model gets events: a live region in this process, another process's region, or (later) a
/// recorded file. Live, attached and replayed traces go through this one interface.
public protocol Source: AnyObject {
    /// Facts from the producer's header.
    var info: SourceInfo { get }
    /// Resolves the names that events refer to.
    var names: any NameResolver { get }
    /// Appends up to `limit` new events to `batch` and adds what was missed. Never blocks.
    func read(into batch: inout EventBatch, limit: Int) -> SourceStatus
}

/// Whether more events may come.
public enum SourceStatus: Hashable, Sendable {
    /// The producer is running; call `read` again later.
    case live
    /// The producer has finished (closed its region or exited); what was read is all there will be.
    case ended(reason: String)
}

/// The producer's identity and clock, as its header states them.
public struct SourceInfo: Hashable, Sendable {
    public var pid: Int32
    public var processName: String
    /// Process start time in clock ticks since boot, to tell a pid's owner from a later reuse of the pid.
    public var processStartTime: UInt64
    public var vocabulary: VocabularyVersion
    public var calibration: ClockCalibration
    public var ringCount: Int
    public var ringCapacity: Int

    public init(
        pid: Int32, processName: String, processStartTime: UInt64, vocabulary: VocabularyVersion,
        calibration: ClockCalibration, ringCount: Int, ringCapacity: Int
    ) {
        self.pid = pid
        self.processName = processName
        self.processStartTime = processStartTime
        self.vocabulary = vocabulary
        self.calibration = calibration
        self.ringCount = ringCount
        self.ringCapacity = ringCapacity
    }
}

/// Which ring (and so which producer thread and loop) a run of events came from.
public struct RingIdentity: Hashable, Sendable {
    public var index: Int
    public var threadID: UInt64
    public var loop: UInt16

    public init(index: Int, threadID: UInt64, loop: UInt16) {
        self.index = index
        self.threadID = threadID
        self.loop = loop
    }
}

/// Events read in one call, grouped by ring, with what each ring lost. Reuse one batch across reads
/// (`removeAll()` keeps its storage) so steady reading allocates nothing.
public struct EventBatch: Sendable {
    /// A run of `events` that came from one ring, in that ring's order.
    public struct Segment: Hashable, Sendable {
        public var ring: RingIdentity
        public var range: Range<Int>
        public init(ring: RingIdentity, range: Range<Int>) {
            self.ring = ring
            self.range = range
        }
    }
    public var events: [TraceEvent] = []
    public var segments: [Segment] = []
    /// Events lost to overwriting, per ring index, accumulated over the reads into this batch.
    public var missedByRing: [UInt64] = []
    /// Events written before an attaching reader came that it leaves out (see `AttachedSource`): not delivered and
    /// not missed, but counted, so that delivered + missed + beforeReader is what the producer wrote.
    public var beforeReader: UInt64 = 0
    /// The rings known so far.
    public var rings: [RingIdentity] = []

    public init() {}

    /// Events lost in all rings.
    public var missed: UInt64 { missedByRing.reduce(0, &+) }

    /// Empties the batch for reuse, keeping its storage.
    public mutating func removeAll() {
        events.removeAll(keepingCapacity: true)
        segments.removeAll(keepingCapacity: true)
        for i in missedByRing.indices { missedByRing[i] = 0 }
        beforeReader = 0
    }
}
