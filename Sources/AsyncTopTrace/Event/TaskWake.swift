/// What `taskWoken`'s arg says about the woken task (a bit set; 0 says neither). The loop reads both from the
/// Swift runtime when it queues the task's job: the job's flags (`swift_task_getJobFlags`, whose bits are ABI) and
/// `swift_task_isCancelled`.
public struct TaskWake: OptionSet, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// A structured child: a task group's child or an `async let`. It ends before its parent does, so a reader that
    /// cannot see its end (the loop never spawned it) can end it with its parent at the latest.
    public static let structuredChild = TaskWake(rawValue: 1)
    /// The task is cancelled (cancelling a task cancels its structured children too).
    public static let cancelled = TaskWake(rawValue: 2)

    /// The bits of the runtime's `JobFlags` that mark a structured child: `Task_IsGroupChildTask` (26) and
    /// `Task_IsAsyncLetTask` (28), as the runtime's own `taskIsStructured` tests them.
    public static let structuredJobFlags: UInt32 = 1 << 26 | 1 << 28
}
