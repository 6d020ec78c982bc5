/// A timer armed on an event loop, to cancel it. A two-word value: copying it allocates nothing.
///
/// `cancel()` on the loop thread is O(1) and takes no lock; from another thread it is queued to the loop, so a
/// timer already due may still fire before the cancellation arrives. Cancelling twice, or after the timer fired,
/// does nothing.
public struct TimerHandle: Sendable, Hashable {
    /// The loop the timer is armed on.
    public let loop: EventLoop
    let key: UInt64

    /// Cancels the timer if it has not fired yet (a repeating timer: stops it).
    public func cancel() {
        loop.cancelTimer(key: key)
    }

    public static func == (a: TimerHandle, b: TimerHandle) -> Bool { a.loop === b.loop && a.key == b.key }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(loop))
        hasher.combine(key)
    }
}
