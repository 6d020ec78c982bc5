/// Why the loop refused or could not finish an operation. Every case says what to do about it.
public enum LoopError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The loop was shut down (or is shutting down) and accepts no new work.
    case shutDown
    /// A `Future.timeout(after:)` deadline passed before the future completed.
    case timedOut
    /// An operation that must run on the loop's own thread was called from another thread.
    case notOnLoopThread(operation: String)
    /// `EventLoopGroup(threads:)` was asked for a number of threads it cannot start.
    case invalidThreadCount(Int)
    /// No trace region could be created for the loop.
    case regionUnavailable(String)
    /// A system call failed.
    case system(IOError)

    public var description: String {
        switch self {
        case .shutDown:
            return "the event loop is shut down; submit work before calling shutdown(), or use a new loop"
        case .timedOut:
            return "the future did not complete before its timeout"
        case .notOnLoopThread(let operation):
            return "\(operation) must be called on the loop's thread; wrap the call in loop.submit { ... }"
        case .invalidThreadCount(let count):
            return "an event loop group needs at least one thread, not \(count)"
        case .regionUnavailable(let reason):
            return "cannot create a trace region for the loop (\(reason)); pass one with EventLoop(region:)"
        case .system(let error):
            return error.description
        }
    }
}
