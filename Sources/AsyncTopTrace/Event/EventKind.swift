/// What a `TraceEvent` records. A struct over `UInt16`, not an enum, so that a reader
/// handed a kind from a newer vocabulary keeps it (and can show it as unknown) instead of trapping.
///
/// The vocabulary is versioned by `EventKind.vocabularyVersion`: adding kinds bumps the minor
/// version, changing the meaning or layout of an existing one bumps the major.
/// Comments give the meaning of `id` and `arg` for each kind; times are ticks. The kinds are inlinable constants
/// rather than stored statics: a stored static is read through a lazy-initialisation accessor from other
/// modules, a call per emit and per comparison in every `switch` over kinds (~12% of the monitor's ingest).
@frozen
public struct EventKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// (major, minor) of the vocabulary this build writes and understands.
    public static let vocabularyVersion = VocabularyVersion(major: 1, minor: 3)

    /// Whether `arg` is a duration or a point in time, in trace ticks (what the CSV export writes in ns).
    @inlinable public var argIsTicks: Bool {
        self == .tickBegan || self == .callbackBegan || self == .microtaskBegan || self == .timerArmed
            || self == .timerFired || self == .taskPollBegan || self == .jobBegan
    }

    // Loop: 0x00xx
    /// A loop started. id: loop thread id.
    @inlinable public static var loopStarted: EventKind { EventKind(rawValue: 0x0001) }
    /// A loop stopped. id: timers still armed at shutdown, which it cancelled (each also has its `timerCancelled`;
    /// queued work runs before the loop stops, so nothing else is left unrun).
    @inlinable public static var loopStopped: EventKind { EventKind(rawValue: 0x0002) }
    /// A loop turn began. arg: ticks slept in the poll that preceded it.
    @inlinable public static var tickBegan: EventKind { EventKind(rawValue: 0x0003) }
    /// A loop turn ended. id: items run in the turn; arg: callbacks queued and not begun, each with its
    /// `callbackEnqueued` already written (task jobs, which share the queue, are not counted), so that a reader can
    /// set its callback queue depth from it; a NIO loop writes 0.
    @inlinable public static var tickEnded: EventKind { EventKind(rawValue: 0x0004) }
    /// A loop turn entered a phase. id: `LoopPhase` raw value.
    @inlinable public static var phase: EventKind { EventKind(rawValue: 0x0005) }
    /// The loop was held between two items (step mode) or let go. id: 1 held, 0 let go. Time held is nobody's
    /// work: not busy, not a delay of the items waiting meanwhile. (Vocabulary 1.3.)
    @inlinable public static var loopHeld: EventKind { EventKind(rawValue: 0x0006) }

    // Callbacks: 0x01xx
    /// A callback was queued. id: callback id; name: call site (`File.swift:21`), or the name the code gave it
    /// (`execute(name:)`).
    @inlinable public static var callbackEnqueued: EventKind { EventKind(rawValue: 0x0101) }
    /// A callback started. id: callback id; arg: scheduling delay (run time − enqueue time). Right after a
    /// `timerFired` or an `ioReady` on the same ring it is that timer's or I/O handler's callback, which was never
    /// queued (no `callbackEnqueued`); its arg is then the timer's lateness, or the time since the poll returned.
    @inlinable public static var callbackBegan: EventKind { EventKind(rawValue: 0x0102) }
    /// A callback returned. id: callback id.
    @inlinable public static var callbackEnded: EventKind { EventKind(rawValue: 0x0103) }
    /// A callback threw. id: callback id; arg: NameID of the error's description.
    @inlinable public static var callbackFailed: EventKind { EventKind(rawValue: 0x0104) }

    // Microtasks: 0x02xx
    /// A microtask was queued. id: microtask id; name: call site.
    @inlinable public static var microtaskEnqueued: EventKind { EventKind(rawValue: 0x0201) }
    /// A microtask started. id: microtask id; arg: scheduling delay.
    @inlinable public static var microtaskBegan: EventKind { EventKind(rawValue: 0x0202) }
    /// A microtask returned. id: microtask id.
    @inlinable public static var microtaskEnded: EventKind { EventKind(rawValue: 0x0203) }

    // Timers: 0x03xx
    /// A timer was armed. id: timer id; arg: deadline (ticks since epoch); name: call site, or the name the code
    /// gave it (`schedule(after:name:)`).
    @inlinable public static var timerArmed: EventKind { EventKind(rawValue: 0x0301) }
    /// A timer fired. id: timer id; arg: lateness (run time − deadline).
    @inlinable public static var timerFired: EventKind { EventKind(rawValue: 0x0302) }
    /// A timer was cancelled before firing. id: timer id.
    @inlinable public static var timerCancelled: EventKind { EventKind(rawValue: 0x0303) }

    // Tasks: 0x04xx
    /// A task was spawned. id: task id; arg: parent task id (0 = none); name: task name.
    @inlinable public static var taskSpawned: EventKind { EventKind(rawValue: 0x0401) }
    /// A task was made ready to run. id: task id; arg: `TaskWake` bits (a structured child, cancelled).
    @inlinable public static var taskWoken: EventKind { EventKind(rawValue: 0x0402) }
    /// A poll (one job run) of a task began. id: task id; arg: scheduling delay.
    @inlinable public static var taskPollBegan: EventKind { EventKind(rawValue: 0x0403) }
    /// A poll of a task ended. id: task id.
    @inlinable public static var taskPollEnded: EventKind { EventKind(rawValue: 0x0404) }
    /// A task finished normally. id: task id.
    @inlinable public static var taskCompleted: EventKind { EventKind(rawValue: 0x0405) }
    /// A task finished by throwing. id: task id; arg: NameID of the error's description.
    @inlinable public static var taskFailed: EventKind { EventKind(rawValue: 0x0406) }
    /// A task finished cancelled. id: task id.
    @inlinable public static var taskCancelled: EventKind { EventKind(rawValue: 0x0407) }
    /// Where a task was spawned. id: task id; name: call site (`file:line`). Follows `taskSpawned`, on the same ring
    /// (the runtime), or later from another thread (the concurrency tap names a new call path off the creating
    /// thread).
    @inlinable public static var taskLocation: EventKind { EventKind(rawValue: 0x0408) }
    /// A failure nobody observed: a failed future was released unawaited. id: the task whose result it was (0 for
    /// a future no task made: a promise failed by hand); arg: NameID of the error's description. (A callback that
    /// throws is `callbackFailed`.)
    @inlinable public static var failureUnobserved: EventKind { EventKind(rawValue: 0x0409) }

    // I/O: 0x05xx
    /// A file descriptor was registered. id: fd; arg: interest bits.
    @inlinable public static var ioRegistered: EventKind { EventKind(rawValue: 0x0501) }
    /// A file descriptor became ready. id: fd; arg: readiness bits.
    @inlinable public static var ioReady: EventKind { EventKind(rawValue: 0x0502) }
    /// A file descriptor was unregistered. id: fd.
    @inlinable public static var ioUnregistered: EventKind { EventKind(rawValue: 0x0503) }

    // Swift Concurrency's global executor (vocabulary 1.1): written by the concurrency tap, on the ring of the
    // thread that enqueues (`jobEnqueued`) or runs (the rest) a job. A task's job is traced with the task kinds
    // above (`taskPollBegan`/`taskPollEnded`, arg: scheduling delay); the kinds below cover every enqueue and
    // the jobs that are not one task's poll, so that the pool's run queue and busy time add up.
    /// A job was handed to the global executor. id: its task id (0 for a job that is not a task's, such as an
    /// actor drain); arg: priority (bits 0–7, Swift's `TaskPriority` raw value) | `JobKind` (bits 8–15).
    @inlinable public static var jobEnqueued: EventKind { EventKind(rawValue: 0x0701) }
    /// A global-executor job that is not a task's poll began on a pool thread. id: `JobKind` raw value;
    /// arg: scheduling delay (run time − enqueue time); name: what the job is (e.g. "actor drain").
    @inlinable public static var jobBegan: EventKind { EventKind(rawValue: 0x0702) }
    /// That job returned. id: `JobKind` raw value.
    @inlinable public static var jobEnded: EventKind { EventKind(rawValue: 0x0703) }

    // Spans (vocabulary 1.2): written by the tracing bridge (`AsyncTopTracing`, a swift-distributed-tracing
    // `Tracer`) on the ring of the thread that opens or ends the span. Span ids are numbered from 1 by the process.
    /// A span was opened. id: span id (bits 0–31) | its parent span's id (bits 32–63, 0 = a root span);
    /// arg: the id of the task that opened it (0 outside a task); name: the operation name it was opened with.
    @inlinable public static var spanBegan: EventKind { EventKind(rawValue: 0x0801) }
    /// An attribute of a span, written when it is set (on the setting thread's ring; a key set twice: the later
    /// value holds). id: span id; name: `key=value` (strings, booleans, doubles and arrays as text); arg: 0.
    @inlinable public static var spanAttribute: EventKind { EventKind(rawValue: 0x0802) }
    /// An integer attribute of a span, written like `spanAttribute`. id: span id; name: the key; arg: the value
    /// (an `Int64`'s bits).
    @inlinable public static var spanNumber: EventKind { EventKind(rawValue: 0x0803) }
    /// A span ended. id: span id; arg: 0 ok, 1 error (its status was set to error, or an error was recorded);
    /// name: its final operation name (an HTTP server span: the method and route, `GET /slow`).
    @inlinable public static var spanEnded: EventKind { EventKind(rawValue: 0x0804) }
    /// A span's name as known before its end: an HTTP server span is named from its method and path
    /// (`GET /users/7`) as soon as both are set, since its route (`GET /users/:id`) comes only at its end.
    /// id: span id; name: the name.
    @inlinable public static var spanNamed: EventKind { EventKind(rawValue: 0x0805) }

    // User: 0x06xx
    /// A user counter changed. name: counter name; id: counter id; arg: value.
    @inlinable public static var counter: EventKind { EventKind(rawValue: 0x0601) }
    /// A user mark. name: label; id, arg: user-defined.
    @inlinable public static var mark: EventKind { EventKind(rawValue: 0x0602) }

    /// Every kind of this vocabulary, with its display name.
    public static let all: [(kind: EventKind, name: String)] = [
        (.loopStarted, "loop_started"), (.loopStopped, "loop_stopped"), (.tickBegan, "tick_began"),
        (.tickEnded, "tick_ended"), (.phase, "phase"), (.loopHeld, "loop_held"),
        (.callbackEnqueued, "callback_enqueued"), (.callbackBegan, "callback_began"),
        (.callbackEnded, "callback_ended"), (.callbackFailed, "callback_failed"),
        (.microtaskEnqueued, "microtask_enqueued"), (.microtaskBegan, "microtask_began"),
        (.microtaskEnded, "microtask_ended"),
        (.timerArmed, "timer_armed"), (.timerFired, "timer_fired"), (.timerCancelled, "timer_cancelled"),
        (.taskSpawned, "task_spawned"), (.taskWoken, "task_woken"), (.taskPollBegan, "task_poll_began"),
        (.taskPollEnded, "task_poll_ended"), (.taskCompleted, "task_completed"), (.taskFailed, "task_failed"),
        (.taskCancelled, "task_cancelled"), (.taskLocation, "task_location"),
        (.failureUnobserved, "failure_unobserved"),
        (.ioRegistered, "io_registered"), (.ioReady, "io_ready"), (.ioUnregistered, "io_unregistered"),
        (.counter, "counter"), (.mark, "mark"),
        (.jobEnqueued, "job_enqueued"), (.jobBegan, "job_began"), (.jobEnded, "job_ended"),
        (.spanBegan, "span_began"), (.spanAttribute, "span_attribute"), (.spanNumber, "span_number"),
        (.spanEnded, "span_ended"), (.spanNamed, "span_named")
    ]

    private static let namesByKind: [UInt16: String] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.kind.rawValue, $0.name) })

    /// True for kinds this build's vocabulary defines.
    public var isKnown: Bool { Self.namesByKind[rawValue] != nil }

    /// The snake_case name, or `unknown_0xNNNN` for kinds from a newer vocabulary.
    public var description: String {
        Self.namesByKind[rawValue] ?? "unknown_0x" + String(rawValue, radix: 16)
    }
}

/// The phases of a loop turn, carried in `EventKind.phase` events.
public enum LoopPhase: UInt64, Sendable, CaseIterable {
    case timers = 1
    case callbacks = 2
    case poll = 3
    case io = 4
}

/// A vocabulary version: readers accept any minor of their major.
public struct VocabularyVersion: Hashable, Sendable, CustomStringConvertible {
    public var major: UInt16
    public var minor: UInt16
    public init(major: UInt16, minor: UInt16) {
        self.major = major
        self.minor = minor
    }
    /// Packed as `major << 16 | minor`, as region and file headers store it.
    public var packed: UInt32 { UInt32(major) << 16 | UInt32(minor) }
    public init(packed: UInt32) { self.init(major: UInt16(packed >> 16), minor: UInt16(packed & 0xFFFF)) }
    public var description: String { "\(major).\(minor)" }
}
