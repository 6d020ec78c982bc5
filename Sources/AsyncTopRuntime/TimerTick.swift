/// What a repeating timer's callback is told on each firing. A plain value: no allocation.
public struct TimerTick: Sendable {
    /// The timer, to cancel it from its own callback.
    public let handle: TimerHandle
    /// The deadline this firing was due at (it never runs before it).
    public let deadline: LoopDeadline
    /// 1 for the first firing, then 2, 3, ...
    public let firing: Int
}
