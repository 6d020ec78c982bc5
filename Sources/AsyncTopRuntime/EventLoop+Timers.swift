import AsyncTopTrace
import CAsyncTopSupport
import DequeModule
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Timers: arming, cancelling and firing (the turn's timers phase).
extension EventLoop {
    /// Runs `work` once on the loop, not before `delay` has passed. Returns a handle to cancel it. After shutdown
    /// the timer never fires. On the loop thread: a heap insert, no lock, no allocation beyond the closure's.
    @discardableResult
    public func schedule(
        after delay: Duration, file: StaticString = #fileID, line: UInt = #line,
        _ work: @escaping @Sendable () throws -> Void
    ) -> TimerHandle {
        schedule(at: .now() + delay, file: file, line: line, work)
    }

    /// `schedule(after:_:)`, traced under `name` (shown in the timers and callbacks views, warnings and stats)
    /// instead of the call site.
    @discardableResult
    public func schedule(
        after delay: Duration, name: StaticString, _ work: @escaping @Sendable () throws -> Void
    ) -> TimerHandle {
        let key = armTimer(
            deadline: (LoopDeadline.now() + delay).uptimeNanoseconds, body: .once(work), site: CallSite(name: name))
        return TimerHandle(loop: self, key: key ?? 0)
    }

    /// Runs `work` once on the loop, not before `deadline`. Timers with equal deadlines fire in arming order.
    @discardableResult
    public func schedule(
        at deadline: LoopDeadline, file: StaticString = #fileID, line: UInt = #line,
        _ work: @escaping @Sendable () throws -> Void
    ) -> TimerHandle {
        let key = armTimer(
            deadline: deadline.uptimeNanoseconds, body: .once(work), site: CallSite(file: file, line: line))
        return TimerHandle(loop: self, key: key ?? 0)
    }

    /// Runs `work` every `period` (first after `initialDelay`, by default one period) until cancelled, through
    /// the returned handle or the one in each `TimerTick`. `mode` chooses whether the rate or the gap is kept.
    @discardableResult
    public func scheduleRepeating(
        every period: Duration, startingAfter initialDelay: Duration? = nil, mode: RepeatMode = .fixedRate,
        file: StaticString = #fileID, line: UInt = #line, _ work: @escaping @Sendable (TimerTick) throws -> Void
    ) -> TimerHandle {
        armRepeating(
            every: period, startingAfter: initialDelay, mode: mode, site: CallSite(file: file, line: line), work)
    }

    /// `scheduleRepeating(every:startingAfter:mode:_:)`, traced under `name` (shown in the timers and callbacks
    /// views, warnings and stats) instead of the call site.
    @discardableResult
    public func scheduleRepeating(
        every period: Duration, startingAfter initialDelay: Duration? = nil, mode: RepeatMode = .fixedRate,
        name: StaticString, _ work: @escaping @Sendable (TimerTick) throws -> Void
    ) -> TimerHandle {
        armRepeating(every: period, startingAfter: initialDelay, mode: mode, site: CallSite(name: name), work)
    }

    private func armRepeating(
        every period: Duration, startingAfter initialDelay: Duration?, mode: RepeatMode, site: CallSite,
        _ work: @escaping @Sendable (TimerTick) throws -> Void
    ) -> TimerHandle {
        let periodNanoseconds = max(LoopDeadline.nanoseconds(period), 1)
        let first = LoopDeadline.now() + (initialDelay ?? period)
        let key = armTimer(
            deadline: first.uptimeNanoseconds,
            body: .repeating(work, period: periodNanoseconds, mode: mode, firings: 0), site: site)
        return TimerHandle(loop: self, key: key ?? 0)
    }

    /// Arms a timer from any thread; nil if the loop is shut down. From another thread the handle's key is a
    /// remote key the loop maps to the timer when the arming reaches it.
    func armTimer(deadline: UInt64, body: TimerQueue.Body, site: CallSite) -> UInt64? {
        if inEventLoop { return armLocal(deadline: deadline, body: body, site: site, remoteKey: 0) }
        let remoteKey = TimerQueue.remoteKeyBit | remoteTimerKeys.add(1, ordering: .relaxed).newValue
        let accepted = enqueueRemote(
            RemoteItem(
                work: .callback { [self] in
                    _ = armLocal(deadline: deadline, body: body, site: site, remoteKey: remoteKey)
                },
                enqueuedAt: stamp(), site: site))
        return accepted ? remoteKey : nil
    }

    func armLocal(deadline: UInt64, body: TimerQueue.Body, site: CallSite, remoteKey: UInt64) -> UInt64? {
        guard state.load(ordering: .relaxed) == State.open else { return nil }
        let traceID = nextTimerID
        nextTimerID &+= 1
        var name = NameID.none
        var deadlineTicks: UInt64 = 0
        if tracingEnabled {
            name = siteNames.name(for: site, in: region.names)
            deadlineTicks = ticks(atMonotonic: deadline)
            tracer.emit(.timerArmed, at: clock, loop: id, name: name, id: traceID, arg: deadlineTicks)
        }
        return timers.arm(
            deadline: deadline, deadlineTicks: deadlineTicks, body: body, traceID: traceID, name: name,
            remoteKey: remoteKey)
    }

    /// Cancels a timer by its handle's key, from any thread.
    func cancelTimer(key: UInt64) {
        guard key != 0 else { return }
        runOnLoop { [self] in
            if let traceID = timers.cancel(key: key) { traceAtClock(.timerCancelled, id: traceID) }
        }
    }

    func runTimers(budget: Int) -> Int {
        guard timers.liveCount > 0 else { return 0 }
        var ran = 0
        let now = TraceClock.monotonicNanoseconds()
        while ran < budget, let fired = timers.popExpired(now: now) {
            ran += 1
            fire(fired)
            drainMicrotasks(&ran, budget: budget)
        }
        return ran
    }

    /// Runs an expired timer's work as a callback (re-arming a repeating timer).
    func fire(_ fired: TimerQueue.Fired) {
        let step = beginStep()
        defer { endStep(step, .timer, id: fired.traceID) }
        let callbackID = nextCallbackID
        nextCallbackID &+= 1
        if tracingEnabled {
            let deadlineTicks = fired.deadlineTicks != 0 ? fired.deadlineTicks : ticks(atMonotonic: fired.deadline)
            let lateness = sinceClock(max(deadlineTicks, 1))
            traceAtClock(.timerFired, id: fired.traceID, arg: lateness)
            traceAtClock(.callbackBegan, name: fired.name, id: callbackID, arg: lateness)
        }
        switch fired.body {
        case .once(let work):
            do {
                try work()
                trace(.callbackEnded, id: callbackID)
            } catch {
                callbackFailed(callbackID, error, observed: false)
            }
        case .repeating(let work, let period, let mode, let firings):
            let tick = TimerTick(
                handle: TimerHandle(loop: self, key: fired.key),
                deadline: LoopDeadline(uptimeNanoseconds: fired.deadline), firing: firings + 1)
            do {
                try work(tick)
                trace(.callbackEnded, id: callbackID)
            } catch {
                callbackFailed(callbackID, error, observed: false)
            }
            let next: UInt64
            switch mode {
            // A fixed rate catches up the firings the program itself made late, not those that fell due while step
            // mode held the loop: after a hold, the next deadline is the first of the timer's own (start + n ×
            // period) after the moment it was let go.
            case .fixedRate:
                let onTime = fired.deadline &+ period
                if onTime < heldUntil, period > 0 {
                    let missed: UInt64 = (heldUntil - onTime + period - 1) / period
                    next = onTime &+ missed &* period
                } else {
                    next = onTime
                }
            case .fixedDelay: next = TraceClock.monotonicNanoseconds() &+ period
            }
            let nextTicks = tracingEnabled ? ticks(atMonotonic: next) : 0
            if timers.rearm(key: fired.key, deadline: next, deadlineTicks: nextTicks, firings: firings + 1),
                tracingEnabled
            {
                traceAtClock(.timerArmed, name: fired.name, id: fired.traceID, arg: nextTicks)
            }
        }
    }
}
