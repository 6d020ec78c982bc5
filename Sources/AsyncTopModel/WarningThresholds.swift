/// When a warning fires. Every value is a flag of `asynctop` (listed in `--help`).
public struct WarningThresholds: Hashable, Sendable {
    /// A callback or a task poll that runs this long blocks its loop.
    public var blockingNanoseconds: UInt64 = 10_000_000
    /// A task ready this long without being polled is starved.
    public var starvedNanoseconds: UInt64 = 50_000_000
    /// A timer firing this late is late.
    public var lateTimerNanoseconds: UInt64 = 10_000_000
    /// A queue (a loop's callbacks, or a user counter) growing for this long is growing without bound.
    public var queueGrowthNanoseconds: UInt64 = 5_000_000_000
    /// A task neither woken nor completed for this long may have lost its wake-up.
    public var lostWakeNanoseconds: UInt64 = 10_000_000_000

    public init() {}
}
