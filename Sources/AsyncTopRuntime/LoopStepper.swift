import AsyncTopTrace
import Dispatch
import Synchronization

/// Step mode for teaching: freezes a loop between two items (callbacks, microtasks, timer firings, I/O
/// handlers, task polls) and lets a person run them one at a time, each with a record of what ran and how
/// the queues changed.
///
/// Cost when not paused: one relaxed atomic load per item on the loop thread. When paused, the loop thread
/// blocks on a semaphore before its next item; `step()` and `resume()` may be called from any thread.
public final class LoopStepper: Sendable {
    private struct State {
        var paused = false
        var permits = 0
        var waiting = false
        var steps = 0
        var last: StepRecord?
    }

    private let pausedFlag = Atomic<Bool>(false)
    /// Called on the loop thread when it starts waiting (true) and when it goes on (false): the loop traces
    /// `loopHeld`. Set once by the loop before its thread starts.
    nonisolated(unsafe) var onHold: ((Bool) -> Void)?
    private let state = Locked(State())
    private let wake = DispatchSemaphore(value: 0)

    init() {}

    /// True while the loop is held between items.
    public var isPaused: Bool { pausedFlag.load(ordering: .relaxed) }

    /// What the last step ran (nil before the first).
    public var lastStep: StepRecord? { state.withLock { $0.last } }

    /// Holds the loop before its next item: a new run of steps, numbered from 1 (the last run's steps are not its).
    public func pause() {
        state.withLock {
            $0.paused = true
            $0.permits = 0
            $0.steps = 0
            $0.last = nil
        }
        pausedFlag.store(true, ordering: .releasing)
    }

    /// Lets exactly one more item run, then holds the loop again. Ignored when not paused.
    public func step() {
        state.withLock {
            guard $0.paused else { return }
            $0.permits += 1
            if $0.waiting { wake.signal() }
        }
    }

    /// Lets the loop run freely again.
    public func resume() {
        pausedFlag.store(false, ordering: .releasing)
        state.withLock {
            $0.paused = false
            if $0.waiting { wake.signal() }
        }
    }

    /// Loop thread, before an item: returns at once unless paused; then waits for a step or a resume.
    /// Returns true if this item runs as a step (and so must be recorded).
    @inline(__always)
    func gate() -> Bool {
        guard pausedFlag.load(ordering: .acquiring) else { return false }
        return waitForPermit()
    }

    private func waitForPermit() -> Bool {
        let mustWait = state.withLock { state -> Bool in
            guard state.paused else { return false }
            if state.permits > 0 {
                state.permits -= 1
                return false
            }
            state.waiting = true
            return true
        }
        guard mustWait else { return state.withLock { $0.paused } }
        onHold?(true)
        defer { onHold?(false) }
        while true {
            wake.wait()
            let done = state.withLock { state -> Bool? in
                if !state.paused {
                    state.waiting = false
                    return false
                }
                guard state.permits > 0 else { return nil }
                state.permits -= 1
                state.waiting = false
                return true
            }
            if let done { return done }
        }
    }

    /// Loop thread, after a stepped item.
    func record(
        _ kind: StepRecord.Kind, id: UInt64, durationNanoseconds: UInt64, before: StepRecord.Queues,
        after: StepRecord.Queues
    ) {
        state.withLock {
            $0.steps += 1
            $0.last = StepRecord(
                number: $0.steps, kind: kind, id: id, durationNanoseconds: durationNanoseconds, before: before,
                after: after)
        }
    }
}

/// One item run in step mode.
public struct StepRecord: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case callback, microtask, timer
        case io = "I/O handler"
        case poll = "task poll"
    }
    /// Queue depths of the loop.
    public struct Queues: Sendable, Hashable {
        /// Callbacks queued, as the trace counts them (the Overview's "callbacks"); task polls are `taskJobs`.
        public var callbacks: Int
        /// Task polls queued (jobs of tasks run on the loop), which share the callbacks' queue.
        public var taskJobs: Int
        public var microtasks: Int
        public var timers: Int
    }
    /// 1 for the first step since the stepper was created, and so on.
    public var number: Int
    public var kind: Kind
    /// The callback, microtask or timer id, or the task id of a poll.
    public var id: UInt64
    public var durationNanoseconds: UInt64
    public var before: Queues
    public var after: Queues
}

/// A step begun at `EventLoop`'s step-mode gate: the queue depths and the time before the item ran.
struct StepStart {
    let queues: StepRecord.Queues
    let startedAt: UInt64
}
