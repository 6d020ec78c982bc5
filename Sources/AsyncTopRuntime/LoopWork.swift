import AsyncTopTrace

/// What a queued item does when the loop runs it. Every case is a closure or a job pointer, so queuing costs no
/// allocation beyond the closure context the caller already made.
@usableFromInline
enum LoopWork: Sendable {
    /// A callback from `execute` or an internal hop; a throw counts as a failure nobody observed.
    case callback(@Sendable () throws -> Void)
    /// A callback from `submit`: a throw was already delivered to its future.
    case submitted(@Sendable () throws -> Void)
    /// A microtask from `enqueueMicrotask`, or the callbacks of a completed future.
    case microtask(@Sendable () -> Void)
    /// One run (poll) of a Swift task, or another job of the Swift runtime.
    case job(UnownedJob)
}

/// An item in one of the loop's own queues (callbacks, microtasks). 48 bytes, stored inline in a `Deque`.
struct LoopItem {
    var work: LoopWork
    /// Trace ticks when queued (0 if tracing was off): the scheduling delay is measured from here.
    var enqueuedAt: UInt64
    /// Callback or microtask id; for a job, its task's id (0 if it belongs to no task or was queued untraced).
    var id: UInt64
    /// The call site that queued it, repeated on its `began` event so a reader joining late still names it.
    var name: NameID = .none
}

/// An item handed to the loop by another thread, through the remote queue. The loop gives it its id and
/// emits its `enqueued` events when it drains the queue, so that only the loop thread writes its ring.
struct RemoteItem {
    var work: LoopWork
    var enqueuedAt: UInt64
    var site: CallSite
    /// For a task's first job, the spawn it came from.
    var spawn: SpawnRecord?
}

/// A source location: `#fileID` and `#line` of the code that queued work.
@usableFromInline
struct CallSite: Sendable {
    var file: StaticString
    /// 0 when `file` is a name the code gave (`execute(name:)`, `schedule(after:name:)`): traced as it is, in place
    /// of "file:line".
    var line: UInt

    @usableFromInline
    init(file: StaticString, line: UInt) {
        self.file = file
        self.line = line
    }

    /// A name given in place of the call site.
    @usableFromInline
    init(name: StaticString) {
        self.init(file: name, line: 0)
    }
}

/// What `EventLoop.spawn` passes to the executor's `enqueue` of the new task's first job.
struct SpawnRecord: Sendable {
    var loopID: UInt16
    var name: NameID
    var parent: UInt64
    /// Where `spawn` was called: named (through the loop's call-site cache) when the spawn is traced, on the
    /// loop's thread.
    var site: CallSite
    var claimed: Bool
}
