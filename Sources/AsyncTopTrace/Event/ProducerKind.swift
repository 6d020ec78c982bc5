/// What kind of thread wrote an event, told by its `loop` field: each producer numbers its threads in a range of
/// its own, so a consumer needs nothing but the event to group pool threads apart from event loops.
///
/// | loop ids | producer |
/// | --- | --- |
/// | 1 … 0x3FFF | an `AsyncTopRuntime` event loop |
/// | 0x4000 … 0x7FFF | a SwiftNIO event loop (`AsyncTopNIO`'s metrics delegate): its ticks, not its tasks |
/// | 0x8000 … 0xBFFF | a Swift Concurrency pool thread (the concurrency tap): a thread that ran global-executor jobs |
/// | 0xC000 … 0xFFFF | another thread that handed jobs to the global executor (the main thread, a NIO loop) |
///
/// A thread that first only hands jobs on and later runs one (a dispatch worker, or any pool thread after the tap
/// is pointed at another region) gets a pool thread's ring at its first job and writes there from then on: its
/// two rings share its thread id, and polls and jobs are only ever written on a pool thread's ring.
@frozen
public enum ProducerKind: Sendable, Hashable {
    case eventLoop
    case nioLoop
    case poolThread
    case enqueuingThread

    public static let nioLoopBase: UInt16 = 0x4000
    public static let poolThreadBase: UInt16 = 0x8000
    public static let enqueuingThreadBase: UInt16 = 0xC000

    /// A short label for a loop id, for narrow columns: "1" (an event loop), "n1" (NIO loop 1), "p1" (pool
    /// thread 1), "t1" (the first other thread that enqueued jobs).
    public static func label(loop: UInt16) -> String {
        switch ProducerKind(loop: loop) {
        case .eventLoop: return String(loop)
        case .nioLoop: return "n\(loop - nioLoopBase + 1)"
        case .poolThread: return "p\(loop - poolThreadBase + 1)"
        case .enqueuingThread: return "t\(loop - enqueuingThreadBase + 1)"
        }
    }

    /// A loop id as a person reads it: "loop 1", "NIO loop 1", "pool thread 1", "thread 1" (one that only enqueues
    /// jobs).
    public static func name(loop: UInt16) -> String {
        switch ProducerKind(loop: loop) {
        case .eventLoop: return "loop \(loop)"
        case .nioLoop: return "NIO loop \(loop - nioLoopBase + 1)"
        case .poolThread: return "pool thread \(loop - poolThreadBase + 1)"
        case .enqueuingThread: return "thread \(loop - enqueuingThreadBase + 1)"
        }
    }

    @inlinable
    public init(loop: UInt16) {
        if loop >= Self.enqueuingThreadBase {
            self = .enqueuingThread
        } else if loop >= Self.poolThreadBase {
            self = .poolThread
        } else if loop >= Self.nioLoopBase {
            self = .nioLoop
        } else {
            self = .eventLoop
        }
    }
}

/// The kinds of Swift Concurrency jobs, as the runtime's `JobFlags` give them (bits 0–7), carried in
/// `jobEnqueued`'s arg and in `jobBegan`/`jobEnded`'s id.
public enum JobKind: UInt8, Sendable, CaseIterable {
    /// A task's job: running it is one poll of the task.
    case task = 0
    /// A default actor's drain: runs queued jobs of several tasks on the actor, one after another.
    case actorDrain = 192
    case actorDrainSeparate = 193
    case actorOverride = 194
    /// A continuation resumed without a task (`withCheckedContinuation` from outside async code).
    case nullaryContinuation = 195
    /// An isolated `deinit` run on its actor's executor.
    case isolatedDeinit = 196

    /// What a person calls such a job.
    public var label: String {
        switch self {
        case .task: return "task"
        case .actorDrain, .actorDrainSeparate: return "actor drain"
        case .actorOverride: return "actor override"
        case .nullaryContinuation: return "continuation"
        case .isolatedDeinit: return "isolated deinit"
        }
    }
}
