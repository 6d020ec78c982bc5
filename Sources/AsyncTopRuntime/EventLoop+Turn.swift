import AsyncTopTrace
import CAsyncTopSupport
import DequeModule
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The turn: the loop thread's body, taking in other threads' work, running queued items, step mode's gate.
extension EventLoop {
    /// The loop thread's body: turns until asked to stop, then finishes.
    func runOnThread() {
        if tracingEnabled {
            trace(.loopStarted, name: region.names.intern(name), id: kernelThreadID)
        }
        while state.load(ordering: .acquiring) == State.open {
            turn()
        }
        finish()
    }

    func turn() {
        trace(.tickBegan, arg: lastSleepTicks)
        let limit = budget.load(ordering: .relaxed)
        let phaseBudget = limit == 0 ? Int.max : limit
        drainRemote()
        let queued = callbacks.count
        var ran = 0

        trace(.phase, id: LoopPhase.timers.rawValue)
        ran += runTimers(budget: phaseBudget)

        trace(.phase, id: LoopPhase.callbacks.rawValue)
        ran += runCallbacks(queued: queued, budget: phaseBudget)

        trace(.phase, id: LoopPhase.poll.rawValue)
        let ready = poll()

        trace(.phase, id: LoopPhase.io.rawValue)
        ran += dispatchIO(count: ready, budget: phaseBudget)

        // Callbacks whose enqueue is traced and that have not begun (not task jobs, nor what other threads queued
        // meanwhile: that is traced, and counted, when the next turn takes it; counting it here would count it twice).
        if tracingEnabled { trace(.tickEnded, id: UInt64(ran), arg: UInt64(callbacks.count - queuedJobs)) }
    }

    /// Moves what other threads queued into the loop's own queues, giving each item its id and tracing its
    /// enqueue from the loop thread.
    func drainRemote() {
        remote.withLock { queue in swap(&queue.items, &drained) }
        if !drained.isEmpty && tracingEnabled { clock = tracer.now() }
        while let item = drained.popFirst() {
            admit(item)
        }
    }

    func admit(_ item: RemoteItem) {
        switch item.work {
        case .callback, .submitted:
            let callbackID = nextCallbackID
            nextCallbackID &+= 1
            var name = NameID.none
            if tracingEnabled {
                name = siteNames.name(for: item.site, in: region.names)
                traceAtClock(.callbackEnqueued, name: name, id: callbackID)
            }
            callbacks.append(LoopItem(work: item.work, enqueuedAt: item.enqueuedAt, id: callbackID, name: name))
        case .microtask:
            enqueueMicrotaskLocal(item.work, site: item.site, enqueuedAt: item.enqueuedAt)
        case .job(let job):
            var taskID: UInt64 = 0
            if tracingEnabled {
                taskID = EventLoop.taskID(of: job)
                if taskID != 0 {
                    if let spawn = item.spawn {
                        traceAtClock(.taskSpawned, name: spawn.name, id: taskID, arg: spawn.parent)
                        traceAtClock(.taskLocation, name: siteNames.name(for: spawn.site, in: region.names), id: taskID)
                    }
                    traceAtClock(.taskWoken, id: taskID, arg: EventLoop.wake(of: job))
                }
            }
            callbacks.append(LoopItem(work: item.work, enqueuedAt: item.enqueuedAt, id: taskID))
            queuedJobs += 1
        }
    }

    func runCallbacks(queued: Int, budget: Int) -> Int {
        var ran = 0
        drainMicrotasks(&ran, budget: budget)
        var remaining = queued
        while remaining > 0, ran < budget, let item = callbacks.popFirst() {
            remaining -= 1
            ran += 1
            run(item)
            drainMicrotasks(&ran, budget: budget)
        }
        return ran
    }

    @inline(__always)
    func drainMicrotasks(_ ran: inout Int, budget: Int) {
        guard !microtasks.isEmpty else { return }
        while ran < budget, let item = microtasks.popFirst() {
            ran += 1
            run(item)
        }
    }

    var queueDepths: StepRecord.Queues {
        StepRecord.Queues(
            callbacks: callbacks.count - queuedJobs, taskJobs: queuedJobs, microtasks: microtasks.count,
            timers: timers.liveCount)
    }

    /// Step mode's one gate, before each thing the loop runs (a timer, a callback, a microtask, a task's poll, an
    /// I/O handler): holds the loop while a person steps, and returns what `endStep` records; nil, after one
    /// relaxed load, when nobody steps.
    @inline(__always)
    func beginStep() -> StepStart? {
        guard stepper.gate() else { return nil }
        return StepStart(queues: queueDepths, startedAt: TraceClock.monotonicNanoseconds())
    }

    /// Records the step `beginStep` began, if it did.
    @inline(__always)
    func endStep(_ step: StepStart?, _ kind: StepRecord.Kind, id: UInt64) {
        guard let step else { return }
        let duration = TraceClock.monotonicNanoseconds() - step.startedAt
        stepper.record(kind, id: id, durationNanoseconds: duration, before: step.queues, after: queueDepths)
    }

    /// Runs one queued item: a callback, a microtask or a task's poll.
    @inline(__always)
    func run(_ item: consuming LoopItem) {
        let step = beginStep()
        let itemID = item.id
        let enqueuedAt = item.enqueuedAt
        let name = item.name
        let work = item.work
        _ = consume item
        switch consume work {
        case .callback(let work):
            runCallback(work, id: itemID, name: name, enqueuedAt: enqueuedAt, failureObserved: false)
            endStep(step, .callback, id: itemID)
        case .submitted(let work):
            runCallback(work, id: itemID, name: name, enqueuedAt: enqueuedAt, failureObserved: true)
            endStep(step, .callback, id: itemID)
        case .microtask(let work):
            begin(.microtaskBegan, name: name, id: itemID, enqueuedAt: enqueuedAt)
            work()
            trace(.microtaskEnded, id: itemID)
            endStep(step, .microtask, id: itemID)
        case .job(let job):
            queuedJobs -= 1
            runJob(job, taskID: itemID, enqueuedAt: enqueuedAt)
            endStep(step, .poll, id: itemID)
        }
    }

    /// Runs a queued callback between its `began` and its `ended` (or `failed`) events. A `submit`'s failure was
    /// delivered to its future, so it is observed; an `execute`'s is not.
    @inline(__always)
    func runCallback(
        _ work: @Sendable () throws -> Void, id itemID: UInt64, name: NameID, enqueuedAt: UInt64, failureObserved: Bool
    ) {
        begin(.callbackBegan, name: name, id: itemID, enqueuedAt: enqueuedAt)
        do {
            try work()
            trace(.callbackEnded, id: itemID)
        } catch {
            callbackFailed(itemID, error, observed: failureObserved)
        }
    }

    /// Emits a `began` event carrying the item's scheduling delay (run time − enqueue time), stamped with the
    /// time the previous item ended (nothing ran in between).
    @inline(__always)
    func begin(_ kind: EventKind, name: NameID, id itemID: UInt64, enqueuedAt: UInt64) {
        traceAtClock(kind, name: name, id: itemID, arg: sinceClock(enqueuedAt))
    }

    /// A throwing callback ends with `callbackFailed` (instead of `callbackEnded`) carrying the error's name.
    func callbackFailed(_ callbackID: UInt64, _ error: any Error, observed: Bool) {
        if tracingEnabled {
            trace(.callbackFailed, id: callbackID, arg: UInt64(errorName(error).rawValue))
        }
        if !observed { noteUnobservedFailure() }
    }

    /// One poll of a Swift task. The job runs with this loop as its task executor, so the task's nonisolated code
    /// resumes here without a hop. It is not marked as isolated to the loop as a serial executor (the same
    /// `enqueue` serves both roles, so the loop cannot tell an actor's job from a task's): an actor whose executor
    /// is this loop still runs only here, one job at a time, and `isIsolatingCurrentContext` vouches for it.
    func runJob(_ job: UnownedJob, taskID queuedTaskID: UInt64, enqueuedAt: UInt64) {
        // Queued untraced (tracing was off then) leaves the id to be found now.
        let taskID = tracingEnabled ? (queuedTaskID != 0 ? queuedTaskID : EventLoop.taskID(of: job)) : 0
        let tracing = taskID != 0
        if tracing { traceAtClock(.taskPollBegan, id: taskID, arg: sinceClock(enqueuedAt)) }
        let outer = runningTask
        runningTask = taskID
        job.runSynchronously(on: asUnownedTaskExecutor())
        runningTask = outer
        if tracing { trace(.taskPollEnded, id: taskID) }
    }
}
