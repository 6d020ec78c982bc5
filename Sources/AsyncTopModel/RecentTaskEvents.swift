import AsyncTopTrace

/// A task's latest events (at most `capacity`), kept in its `TaskDetail`, for the task detail view.
///
/// Why per task and fixed: the memory for them then follows the tasks kept (at most the detail budget), not the
/// trace's length, and they hold no reference, so copying a state (a replay checkpoint) copies bytes without touching
/// reference counts. A global log of every task's events grew for as long as the program ran (to its cap) and, at
/// high rates, lost a task's events within milliseconds.
///
/// Cost: 82 bytes a task detail; `append` writes three slots, no allocation.
public struct RecentTaskEvents: Sendable {
    public static var capacity: Int { 8 }
    private var times = InlineArray<8, UInt64>(repeating: 0)
    private var kinds = InlineArray<8, UInt16>(repeating: 0)
    private var states = InlineArray<8, TaskRunState>(repeating: .ready)
    /// The slot the next event goes to.
    private var next: UInt8 = 0
    public private(set) var count: UInt8 = 0

    public init() {}

    /// Keeps `event`, dropping the oldest kept one when full.
    public mutating func append(_ event: TaskEvent) {
        let slot = Int(next)
        times[slot] = event.atNanoseconds
        kinds[slot] = event.kind.rawValue
        states[slot] = event.state
        next = UInt8((slot + 1) % Self.capacity)
        count = min(count + 1, UInt8(Self.capacity))
    }

    /// The latest `limit` of them, oldest first. Allocates the array: for a view, not a hot path.
    public func latest(_ limit: Int) -> [TaskEvent] {
        let kept = min(Int(count), max(0, limit))
        return (0..<kept).map { offset in
            let slot = (Int(next) - kept + offset + Self.capacity) % Self.capacity
            return TaskEvent(atNanoseconds: times[slot], kind: EventKind(rawValue: kinds[slot]), state: states[slot])
        }
    }
}
