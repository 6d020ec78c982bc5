import AsyncTopTrace

/// A point in time on the clock the loop's timers use: CLOCK_MONOTONIC, in nanoseconds.
///
/// Timers are armed and compared in this clock (not in trace ticks) so that "never early" holds exactly against
/// `LoopDeadline.now()`; trace events convert deadlines and lateness to ticks. Reading `now()` costs one vDSO
/// clock read (no syscall, no allocation).
public struct LoopDeadline: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds of CLOCK_MONOTONIC.
    public var uptimeNanoseconds: UInt64

    @inlinable
    public init(uptimeNanoseconds: UInt64) {
        self.uptimeNanoseconds = uptimeNanoseconds
    }

    /// The current time.
    @inlinable
    public static func now() -> LoopDeadline {
        LoopDeadline(uptimeNanoseconds: TraceClock.monotonicNanoseconds())
    }

    /// A deadline `duration` after `deadline`; negative durations count as zero, far futures saturate.
    @inlinable
    public static func + (deadline: LoopDeadline, duration: Duration) -> LoopDeadline {
        let (sum, overflow) = deadline.uptimeNanoseconds.addingReportingOverflow(nanoseconds(duration))
        return LoopDeadline(uptimeNanoseconds: overflow ? .max : sum)
    }

    /// The time from `earlier` to `later` (negative if `later` is earlier).
    public static func - (later: LoopDeadline, earlier: LoopDeadline) -> Duration {
        if later.uptimeNanoseconds >= earlier.uptimeNanoseconds {
            return .nanoseconds(Int64(clamping: later.uptimeNanoseconds - earlier.uptimeNanoseconds))
        }
        return .nanoseconds(-Int64(clamping: earlier.uptimeNanoseconds - later.uptimeNanoseconds))
    }

    public static func < (a: LoopDeadline, b: LoopDeadline) -> Bool { a.uptimeNanoseconds < b.uptimeNanoseconds }

    public var description: String { "LoopDeadline(\(uptimeNanoseconds) ns)" }

    /// Whole nanoseconds in a duration, rounded up (so a timer is never armed early), clamped to zero.
    @usableFromInline
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let fraction = UInt64(attoseconds / 1_000_000_000) + (attoseconds % 1_000_000_000 > 0 ? 1 : 0)
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .max }
        let (sum, overflow2) = whole.addingReportingOverflow(fraction)
        return overflow2 ? .max : sum
    }
}
