/// Something wrong the aggregator saw, with what caused it.
public struct Warning: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case blocking
        case starved
        case lateTimer = "late-timer"
        case queueGrowth = "queue-growth"
        case lostWake = "lost-wake"
        case unhandledFailure = "unhandled-failure"
        /// Every Swift Concurrency pool thread busy while jobs wait (vocabulary 1.1 producers only).
        case poolSaturated = "pool-saturated"
    }

    /// What to show when the user jumps to the warning.
    public enum Culprit: Hashable, Sendable {
        case task(UInt64)
        case callSite(String)
        case timer(TimerKey)
        case loop(UInt16)
        case counter(String)
        /// The Swift Concurrency pool.
        case pool
    }

    public var kind: Kind
    /// Trace time of the warning, ns since the epoch.
    public var atNanoseconds: UInt64
    public var loop: UInt16
    /// Display name of the culprit (terminal-safe).
    public var subject: String
    /// One line saying what happened (terminal-safe).
    public var detail: String
    public var culprit: Culprit
    /// The duration it is about, in ns (how late, how long blocked or waiting; 0 for a failure): the worst of a
    /// group is the one with the largest.
    public var figureNanoseconds: UInt64 = 0
}
