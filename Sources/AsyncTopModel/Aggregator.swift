import AsyncTopTrace
import DequeModule

/// Turns trace events into `RuntimeState`. Pure and deterministic: no clock, no I/O; the state depends only on
/// the events ingested and the times `advance(to:)` was called with, so a replay rebuilds what a live monitor
/// saw. Memory is bounded: finished tasks are dropped `retentionNanoseconds` after they end, per-task
/// task details stop being allocated past `taskHistogramBudget`, and the recent lists are capped.
///
/// Cost: O(1) per event and no allocation on the common path: a callback costs an array update (its call site,
/// found by a last-site cache or a name-id index) and one histogram record; a task event a dictionary update
/// or two and an append to the task event log. A batch takes each loop's state out of the dictionary once per
/// run of its events, not once per event. `advance` is O(live tasks + timers), meant for ~10 Hz.
public struct Aggregator: Sendable {
    public private(set) var state = RuntimeState()
    public var thresholds: WarningThresholds
    /// How long finished tasks stay visible.
    public var retentionNanoseconds: UInt64
    /// A task the monitor's user has under the cursor or open: it stays past the retention time while it is, so
    /// that Enter on a row drawn a frame ago, or a task detail left open, still finds it. Set by the owner before
    /// each update; not part of the trace.
    public var keptTask: UInt64?
    /// Most tasks that keep a `TaskDetail` (histograms and latest events) at once (each ~3 KiB).
    public var taskHistogramBudget = 4_000
    /// Callbacks at least this long go in `RuntimeState.slowCallbacks`.
    public var slowCallbackNanoseconds: UInt64 = 1_000_000
    public var warningLimit = 1_000
    /// Ended spans kept in `RuntimeState.endedSpans`.
    public var spanLogLimit = 10_000
    static let slowCallbackLimit = 100
    static let firedTimerRetentionNanoseconds: UInt64 = 1_000_000_000
    /// An empty window of a counter's seconds.
    static let counterWindow = SecondBuckets(capacity: 64, empty: CounterSecond()) {
        $0.highest = max($0.highest, $1.highest)
    }

    private let calibration: ClockCalibration
    /// Where each call site's stats are in `state.callSites`, by the site's name id (unique per trace), and
    /// the last one used: consecutive callbacks mostly share a site, and then need no hashing at all.
    private var callSiteSlots: [NameID: Int] = [:]
    private var lastCallSite = (key: NameID.none, slot: -1)
    private var taskHistograms = 0
    private var counterGrowth: [String: GrowthTracker] = [:]
    private var lastSampledSecond: UInt64?
    /// Loops whose open second has counts not yet in their buckets (closed at the end of each batch).
    private var loopsWithOpenSeconds: [UInt16] = []
    private var lastEvaluation: UInt64 = 0
    /// Structured children whose own end the trace cannot show, by parent: they end with their parent. A child
    /// leaves its parent's set when it ends or is dropped, so a parent that lives for ever (a server's task group)
    /// keeps only its children still listed.
    private var structuredChildren: [UInt64: Set<UInt64>] = [:]

    public init(
        calibration: ClockCalibration, thresholds: WarningThresholds = WarningThresholds(),
        retentionNanoseconds: UInt64 = 10_000_000_000
    ) {
        self.calibration = calibration
        self.thresholds = thresholds
        self.retentionNanoseconds = retentionNanoseconds
    }

    /// Ingests a batch read from a source in time order across its rings (each ring's segment is in order; a
    /// batch that covers a long stretch, such as the first read of a reader that came late, holds seconds of
    /// several rings whose events interleave), then evaluates the time-based rules.
    ///
    /// The merge takes the longest run of one segment that no other segment's next event precedes, so a batch
    /// whose rings do not interleave is ingested segment by segment at no extra cost, and one that does costs a
    /// scan of the segments' heads per run.
    ///
    /// `judging: false` leaves the time-based rules for a later batch: for a reader that knows more of this read is
    /// still in the rings (a limited read that filled up, such as a late reader's first reads of the history),
    /// whose rings are then read to different times, so a task's poll may not be read yet.
    public mutating func ingest(_ batch: EventBatch, names: any NameResolver, judging: Bool = true) {
        state.totals.missed &+= batch.missed  // wrapping: counts come from outside
        // The loops are moved out of the state for the batch (nothing a batch applies reads them there), so that each
        // run of a loop's events changes its state in place in the dictionary: one lookup, no copy.
        var loops = state.loops
        state.loops = [:]
        batch.events.withUnsafeBufferPointer { events in
            var heads = batch.segments.filter { $0.range.upperBound <= events.count && !$0.range.isEmpty }.map(\.range)
            while !heads.isEmpty {
                var first = 0
                for index in heads.indices.dropFirst()
                where events[heads[index].lowerBound].time < events[heads[first].lowerBound].time {
                    first = index
                }
                var bound = UInt64.max
                for index in heads.indices where index != first {
                    bound = min(bound, events[heads[index].lowerBound].time)
                }
                var end = heads[first].lowerBound + 1
                while end < heads[first].upperBound, events[end].time <= bound { end += 1 }
                ingestRun(events, heads[first].lowerBound..<end, names: names, loops: &loops)
                heads[first] = end..<heads[first].upperBound
                if heads[first].isEmpty { heads.remove(at: first) }
            }
        }
        closeOpenSeconds(&loops)
        state.loops = loops
        // The time-based rules scan every task: at most once per `evaluationInterval` of trace time, which
        // keeps ingest O(1) per event however small the batches are, and is decided by trace time alone.
        guard judging else { return }
        // Between batches, not per event: within a batch read ring by ring, enqueues on one thread can be counted
        // before the starts on others, so the run queue is only true where every ring has been read as far.
        state.pool.maxQueued = max(state.pool.maxQueued, state.pool.queued)
        if state.nowNanoseconds >= lastEvaluation &+ Self.evaluationIntervalNanoseconds {
            advance(to: state.nowNanoseconds)
        }
    }

    /// Ingests a run of one ring's events. A ring's events nearly always belong to one loop: its state is changed in
    /// place in `loops` for the whole run (uniquely referenced, so its histograms mutate in place). Per-event counts
    /// and the latest time are kept here and stored once per run.
    @inline(__always)
    private mutating func ingestRun(
        _ events: UnsafeBufferPointer<TraceEvent>, _ range: Range<Int>, names: any NameResolver,
        loops: inout [UInt16: LoopState]
    ) {
        var index = range.lowerBound
        while index < range.upperBound {
            let loopID = events[index].loop
            ingestRun(
                of: &loops[loopID, default: LoopState(id: loopID)], events, &index, range.upperBound, names: names)
        }
    }

    /// The events of one loop from `index` on (to `end` or another loop's event), into `loop`.
    @inline(__always)
    private mutating func ingestRun(
        of loop: inout LoopState, _ events: UnsafeBufferPointer<TraceEvent>, _ index: inout Int, _ end: Int,
        names: any NameResolver
    ) {
        let loopID = loop.id
        let first = index
        var latest: UInt64 = 0
        repeat {
            latest = max(latest, ingest(events[index], into: &loop, names: names))
            index += 1
        } while index < end && events[index].loop == loopID
        count(index - first, upTo: latest, loop: &loop)
        if !loop.openSecondPending {
            loop.openSecondPending = true
            loopsWithOpenSeconds.append(loopID)
        }
    }

    /// Adds each loop's open-second counts to its buckets once per batch (not per run: adding a second's latency
    /// histogram costs O(its bins), and rings that interleave finely make runs short).
    private mutating func closeOpenSeconds(_ loops: inout [UInt16: LoopState]) {
        for loopID in loopsWithOpenSeconds where loops[loopID] != nil {
            loops[loopID]!.openSecondPending = false
            closeSecond(&loops[loopID]!)
        }
        loopsWithOpenSeconds.removeAll(keepingCapacity: true)
    }

    /// How often (in trace time) ingesting evaluates the time-based rules.
    static let evaluationIntervalNanoseconds: UInt64 = 100_000_000
    /// The latest time, and the longest duration, the model takes: 2^62 ns (146 years). More is damage (found by the
    /// atrace fuzz target), and below it sums of a few times or durations cannot overflow.
    public static let latestNanoseconds: UInt64 = 1 << 62

    /// Trace ticks (an event's time, or a time or duration in its arg) in nanoseconds, at most `latestNanoseconds`.
    @inline(__always)
    private func nanoseconds(_ ticks: UInt64) -> UInt64 { min(calibration.nanoseconds(ticks), Self.latestNanoseconds) }

    /// Ingests one event.
    public mutating func ingest(_ event: TraceEvent, names: any NameResolver) {
        var loop = state.loops.removeValue(forKey: event.loop) ?? LoopState(id: event.loop)
        let time = ingest(event, into: &loop, names: names)
        count(1, upTo: time, loop: &loop)
        closeSecond(&loop)
        state.loops[event.loop] = loop
        state.pool.maxQueued = max(state.pool.maxQueued, state.pool.queued)
    }

    /// Applies one event; returns its time in nanoseconds. The caller counts it (`count`).
    @inline(__always)
    private mutating func ingest(_ event: TraceEvent, into loop: inout LoopState, names: any NameResolver) -> UInt64 {
        let time = nanoseconds(event.time)
        if time >= loop.openSecondEnd || time < loop.openSecondStart { openSecond(at: time, loop: &loop) }
        loop.openSecondEvents += 1
        apply(event, at: time, loop: &loop, names: names)
        return time
    }

    /// Counts `events` events of a run just ingested into `loop`, the latest at `latest`.
    private mutating func count(_ events: Int, upTo latest: UInt64, loop: inout LoopState) {
        state.totals.events += UInt64(events)
        loop.events += UInt64(events)
        if latest > state.nowNanoseconds { state.nowNanoseconds = latest }
    }

    /// Makes the second of `time` the loop's open one (about once a second per loop, and on a loop's first
    /// event, which also starts the trace's and the loop's clocks). Events already counted in the open second
    /// go to their bucket first.
    private mutating func openSecond(at time: UInt64, loop: inout LoopState) {
        state.firstEventNanoseconds = min(state.firstEventNanoseconds ?? time, time)
        if loop.startedNanoseconds == nil { loop.startedNanoseconds = time }
        closeSecond(&loop)
        loop.openSecondStart = time / 1_000_000_000 * 1_000_000_000
        loop.openSecondEnd = loop.openSecondStart + 1_000_000_000
    }

    /// Adds the events and delays counted in the loop's open second to its bucket, with the deepest the queues got
    /// and the timers and watchers as they are now: once per batch (`closeOpenSeconds`), and when the second changes,
    /// not per event.
    private func closeSecond(_ loop: inout LoopState) {
        guard loop.openSecondEvents > 0 else { return }
        let events = loop.openSecondEvents
        let deepest = (
            callbacks: max(loop.openSecondDeepest.callbacks, loop.callbackQueueDepth),
            microtasks: max(loop.openSecondDeepest.microtasks, loop.microtaskQueueDepth)
        )
        let depths = (loop.pendingTimers, loop.ioWatchers)
        let atEnd = (callbacks: loop.callbackQueueDepth, microtasks: loop.microtaskQueueDepth)
        let hasLatency = loop.openSecondLatency.count > 0
        do {
            // The copy ends with this block, so the reset below clears the histogram in place, not a copy of it.
            let latency = loop.openSecondLatency
            loop.seconds.update(second: loop.openSecond) {
                $0.events += events
                $0.callbackQueueDepth = max($0.callbackQueueDepth, deepest.callbacks)
                $0.microtaskQueueDepth = max($0.microtaskQueueDepth, deepest.microtasks)
                $0.pendingTimers = depths.0
                $0.ioWatchers = depths.1
                $0.callbacksAtEnd = atEnd.callbacks
                $0.microtasksAtEnd = atEnd.microtasks
                if hasLatency { $0.latency.add(latency) }
            }
        }
        loop.openSecondEvents = 0
        loop.openSecondDeepest = (loop.callbackQueueDepth, loop.microtaskQueueDepth)
        if hasLatency { loop.openSecondLatency.reset() }
    }

    /// The producer is gone (it closed its region, exited or was killed): its loops and threads stopped with it,
    /// at the latest trace time seen, unless they said so themselves.
    public mutating func producerEnded() {
        judgePending()
        let now = state.nowNanoseconds
        for id in Array(state.loops.keys) where state.loops[id]?.stoppedNanoseconds == nil {
            state.loops[id]?.stoppedNanoseconds = now
        }
    }

    /// Starts the trace's clock at `time` unless an event comes earlier (a recording that began before the program
    /// did anything): the trace's elapsed time counts from there.
    public mutating func startClock(at time: UInt64) {
        state.firstEventNanoseconds = min(state.firstEventNanoseconds ?? time, time)
    }

    /// Moves trace time forward to `time` (for a live source that has been quiet), and evaluates the rules
    /// that depend on time passing: starvation, lost wake-ups, queue growth; and drops expired tasks.
    public mutating func advance(to time: UInt64) {
        if time > state.nowNanoseconds { state.nowNanoseconds = time }
        let now = state.nowNanoseconds
        lastEvaluation = now
        sampleQueues(now: now)
        // Tasks whose end cannot be seen, waiting for longer than the retention: taken as ended.
        var unseenEnds: [UInt64] = []
        // Found in dictionary order (which differs between processes), warned in task-id order: deterministic.
        var due: [(id: UInt64, kind: Warning.Kind, detail: String, figure: UInt64)] = []
        warnIfPoolSaturated(now: now)
        judgeLongTurns(now: now)
        // A task a warning names stays while the warning is kept, so that Enter on the warning still finds it.
        var named: Set<UInt64> = []
        for warning in state.warnings { if case .task(let id) = warning.culprit { named.insert(id) } }
        if let keptTask { named.insert(keptTask) }
        state.tasks.removeEnded(now: now, retention: retentionNanoseconds, keeping: named) { id in
            if state.taskDetails.removeValue(forKey: id) != nil { taskHistograms -= 1 }
        }
        for (id, task) in state.tasks.live {
            let inState = now - min(now, task.stateSinceNanoseconds)
            if task.endUnseen, task.state == .waiting, inState >= retentionNanoseconds {
                unseenEnds.append(id)
                state.totals.liveTasks -= 1
                continue
            }
            // Not while its loop is held (step mode), and the time it was held does not count.
            if task.state == .ready, !task.warnedStarved, inState >= thresholds.starvedNanoseconds {
                let loop = state.loops[task.loop]
                let waited = loop.map { Self.unheld(inState, endingAt: now, on: $0) } ?? inState
                if loop?.heldSinceNanoseconds == nil, waited >= thresholds.starvedNanoseconds {
                    due.append((id, .starved, "ready for \(Format.duration(waited)) without being polled", waited))
                }
            }
            // Only the event loop's tasks: its runtime writes every wake, so a long wait with none is suspect. A
            // Swift Concurrency task waiting long (a server's accept loop, a signal handler) is normal.
            if task.state == .waiting, !task.warnedLostWake, ProducerKind(loop: task.loop) == .eventLoop {
                let waited = state.loops[task.loop].map { Self.unheld(inState, endingAt: now, on: $0) } ?? inState
                if waited >= thresholds.lostWakeNanoseconds {
                    due.append((id, .lostWake, "neither woken nor completed for \(Format.duration(waited))", waited))
                }
            }
        }
        for warning in due.sorted(by: { $0.id < $1.id }) {
            guard let task = state.tasks[warning.id] else { continue }
            if warning.kind == .starved { state.tasks[warning.id]?.warnedStarved = true }
            if warning.kind == .lostWake { state.tasks[warning.id]?.warnedLostWake = true }
            warn(
                warning.kind, at: now, loop: task.loop, subject: state.name(of: task), culprit: .task(warning.id),
                detail: warning.detail, figure: warning.figure)
        }
        for id in unseenEnds {
            structuredChildren.removeValue(forKey: id)
            if let task = state.tasks[id], task.structuredChild { forgetStructuredChild(id, of: task.parent) }
            if state.taskDetails.removeValue(forKey: id) != nil { taskHistograms -= 1 }
            state.tasks.removeLive(id)
        }
        // A fired timer is kept a while in case it repeats (re-armed under the same id), then dropped.
        let firedExpiry = Self.firedTimerRetentionNanoseconds
        state.timers = state.timers.filter { _, timer in
            timer.isPending
                || now - min(now, timer.lastFiredNanoseconds ?? now)
                    < max(firedExpiry, 2 * (timer.intervalNanoseconds ?? 0))
        }
    }

    private mutating func resolve(_ id: NameID, _ names: any NameResolver) -> String {
        if id == .none { return "" }
        if let cached = state.names[id] { return cached }
        let text = names.bytes(for: id).map { TerminalSafeText.make($0) } ?? "#\(id.rawValue)"
        state.names[id] = text
        return text
    }

    @inline(__always)
    private mutating func apply(_ event: TraceEvent, at time: UInt64, loop: inout LoopState, names: any NameResolver) {
        // The busiest kinds come first: a switch over a struct (not an enum) tests its cases in order.
        switch event.kind {
        case .callbackEnqueued:
            loop.callbackQueueDepth += 1
            loop.openSecondDeepest.callbacks = max(loop.openSecondDeepest.callbacks, loop.callbackQueueDepth)
        case .microtaskEnqueued:
            loop.microtaskQueueDepth += 1
            loop.openSecondDeepest.microtasks = max(loop.openSecondDeepest.microtasks, loop.microtaskQueueDepth)
        case .callbackBegan, .microtaskBegan:
            // A timer's or an I/O handler's callback was never queued (its `timerFired` or `ioReady` came just
            // before); a timer's delay is its lateness, recorded at `timerFired` already.
            let unqueued = loop.unqueuedCallbackNext
            loop.unqueuedCallbackNext = nil
            if event.kind == .microtaskBegan {
                loop.microtaskQueueDepth = max(0, loop.microtaskQueueDepth - 1)
            } else if unqueued == nil {
                loop.callbackQueueDepth = max(0, loop.callbackQueueDepth - 1)
            }
            loop.running = (event.id, event.name, event.kind == .microtaskBegan, time)
            if unqueued != .timerFired {
                recordLatency(&loop, Self.unheld(nanoseconds(event.arg), endingAt: time, on: loop))
            }
        case .callbackEnded, .microtaskEnded, .callbackFailed:
            finishCallback(event, at: time, loop: &loop, names: names)
        case .loopStarted:
            loop.threadID = event.id
            loop.startedNanoseconds = time
        case .loopStopped:
            loop.stoppedNanoseconds = time
        case .tickBegan:
            loop.tickStartedAt = time
        case .tickEnded:
            // A turn is busy except while it sleeps in its poll phase (poll → io).
            if let start = loop.tickStartedAt {
                addBusy(&loop, from: start, to: time)
                if ProducerKind(loop: event.loop) == .nioLoop {
                    endNIOTurn(from: start, to: time, tasks: event.id, loop: &loop)
                }
            }
            if loop.phase == .io { addBusy(&loop, from: loop.phaseSince, to: time, inIO: true) }
            loop.phaseSince = time
            loop.tickStartedAt = nil
            loop.ticks += 1
            loop.itemsRun &+= event.id  // wrapping: the id comes from outside (a hostile file)
            loop.callbackQueueDepth = Int(clamping: event.arg)
            let depth = loop.callbackQueueDepth
            let items = event.id
            loop.seconds.update(second: loop.openSecond) {
                $0.ticks += 1
                $0.itemsRun &+= items
                $0.callbackQueueDepth = max($0.callbackQueueDepth, depth)
            }
        case .loopHeld where event.id == 1:
            // Like a poll: the turn's busy stretch pauses while the loop is held.
            loop.heldSinceNanoseconds = time
            loop.turnResumesAfterHold = loop.tickStartedAt != nil
            if let start = loop.tickStartedAt {
                addBusy(&loop, from: start, to: time)
                loop.tickStartedAt = nil
            }
        case .loopHeld:
            if let since = loop.heldSinceNanoseconds { loop.addHold(from: since, to: time) }
            loop.heldSinceNanoseconds = nil
            if loop.turnResumesAfterHold { loop.tickStartedAt = time }
            loop.turnResumesAfterHold = false
        case .phase:
            let phase = LoopPhase(rawValue: event.id)
            if phase == .poll, let start = loop.tickStartedAt {
                addBusy(&loop, from: start, to: time)
                loop.tickStartedAt = nil
            } else if phase == .io, loop.phase == .poll {
                loop.tickStartedAt = time
            }
            if loop.phase == .io { addBusy(&loop, from: loop.phaseSince, to: time, inIO: true) }
            loop.phase = phase
            loop.phaseSince = time
        case .timerArmed:
            armTimer(event, at: time, loop: &loop, names: names)
        case .timerFired:
            loop.unqueuedCallbackNext = .timerFired
            let lateness = Self.unheld(nanoseconds(event.arg), endingAt: time, on: loop)
            recordLatency(&loop, lateness)
            loop.pendingTimers = max(0, loop.pendingTimers - 1)
            state.totals.timersFired += 1
            state.totals.maxTimerLatenessNanoseconds = max(state.totals.maxTimerLatenessNanoseconds, lateness)
            // Updated in place (a timer fires often; copying its state out and back copies its strings).
            let siteName = Self.fire(
                &state.timers[
                    TimerKey(loop: event.loop, id: event.id),
                    default: TimerState(id: event.id, loop: event.loop, site: "", deadlineNanoseconds: time)],
                at: time, lateness: lateness)
            if !siteName.isEmpty {
                Self.fire(
                    &state.timerSites[siteName, default: TimerSiteStats(site: siteName)], at: time, lateness: lateness,
                    lastGap: state.gaps.last)
            }
            if lateness >= thresholds.lateTimerNanoseconds {
                warn(
                    .lateTimer, at: time, loop: event.loop, subject: siteName.isEmpty ? "timer \(event.id)" : siteName,
                    culprit: .timer(TimerKey(loop: event.loop, id: event.id)),
                    detail: "fired \(Format.duration(lateness)) late", figure: lateness)
            }
        case .timerCancelled:
            loop.pendingTimers = max(0, loop.pendingTimers - 1)
            state.totals.timersCancelled += 1
            state.timers[TimerKey(loop: event.loop, id: event.id)] = nil
        case .taskSpawned, .taskLocation, .taskWoken, .taskPollBegan, .taskPollEnded, .taskCompleted, .taskFailed,
            .taskCancelled, .failureUnobserved:
            if event.kind == .taskPollBegan || event.kind == .taskPollEnded,
                ProducerKind(loop: event.loop) == .poolThread
            {
                applyPoolJob(event, at: time, loop: &loop, names: names)
            }
            applyTaskEvent(event, at: time, loop: &loop, names: names)
        case .jobEnqueued, .jobBegan, .jobEnded:
            applyPoolJob(event, at: time, loop: &loop, names: names)
            if event.kind == .jobEnqueued, event.id != 0 { applyTaskEvent(event, at: time, loop: &loop, names: names) }
        case .spanBegan, .spanEnded, .spanNamed:
            applySpan(event, at: time, names: names)
        case .ioReady:
            loop.unqueuedCallbackNext = .ioReady
        case .ioRegistered:
            loop.ioWatchers += 1
        case .ioUnregistered:
            loop.ioWatchers = max(0, loop.ioWatchers - 1)
        case .counter:
            let name = resolve(event.name, names)
            let value = Int64(bitPattern: event.arg)
            if name == PoolState.widthCounter { state.pool.width = Int(clamping: value) }
            state.counters[name] = value
            state.counterPeaks[name] = max(state.counterPeaks[name] ?? value, value)
            state.counterSeconds[name, default: Self.counterWindow].update(second: time / 1_000_000_000) {
                $0.highest = max($0.highest, value)
                $0.last = value
            }
        default:
            break
        }
    }

    /// The pool's share of a global-executor job's enqueue, start or end (a task's poll on a pool thread
    /// included): the run queue, the threads running, the pool thread's busy time and its jobs' delays.
    private mutating func applyPoolJob(
        _ event: TraceEvent, at time: UInt64, loop: inout LoopState, names: any NameResolver
    ) {
        switch event.kind {
        case .jobEnqueued:
            state.pool.jobsEnqueued += 1
            state.pool.queued += 1
        case .taskPollBegan, .jobBegan:
            // Enqueue and start are on different rings, so a batch can bring a start before its enqueue: the
            // count may dip below zero for a moment, and is shown clamped.
            state.pool.queued -= 1
            state.pool.running += 1
            loop.tickStartedAt = time
            let delay = nanoseconds(event.arg)
            if delay >= thresholds.starvedNanoseconds {
                let wait = (start: time - min(time, delay), end: time)
                let position = state.pool.longWaits.firstIndex { $0.end > time } ?? state.pool.longWaits.endIndex
                state.pool.longWaits.insert(wait, at: position)
            }
            if event.kind == .jobBegan {
                recordLatency(&loop, nanoseconds(event.arg))
                if let kind = JobKind(rawValue: UInt8(truncatingIfNeeded: event.id)) {
                    state.pool.otherJobs[kind, default: 0] += 1
                }
                loop.running = (event.id, event.name, false, time)
            }
        default:  // .taskPollEnded, .jobEnded
            state.pool.running = max(0, state.pool.running - 1)
            state.pool.jobsRun += 1
            guard let start = loop.tickStartedAt else { break }
            loop.tickStartedAt = nil
            loop.ticks += 1
            loop.seconds.update(second: loop.openSecond) { $0.ticks += 1 }
            addBusy(&loop, from: start, to: time)
            if time - min(time, start) >= thresholds.starvedNanoseconds {
                state.pool.busyIntervals[event.loop, default: []].append((start, time))
            }
            let duration = time - min(time, start)
            if event.kind == .jobEnded, let running = loop.running {
                loop.running = nil
                if duration >= thresholds.blockingNanoseconds {
                    // The job's label is resolved here, when it is shown, not on every job.
                    let label = resolve(running.site, names)
                    let what = label.isEmpty ? "job" : label
                    warn(
                        .blocking, at: time, loop: event.loop, subject: what, culprit: .loop(event.loop),
                        detail: "\(Format.duration(duration)) holding a pool thread", figure: duration)
                }
            }
        }
    }

    /// A NIO loop's turn (I/O handling, then its tasks) that ended at `end`: its length is the longest any task or
    /// I/O event could have waited for the loop during it, recorded as the loop's latency; a turn as long as the
    /// blocking threshold blocked the loop. NIO does not say which task ran long, so the warning names the spans
    /// that were open for most of the turn (a request that blocked the loop, or was held up by it).
    private mutating func endNIOTurn(from start: UInt64, to end: UInt64, tasks: UInt64, loop: inout LoopState) {
        let turn = end - min(end, start)
        recordLatency(&loop, turn)
        guard turn >= thresholds.blockingNanoseconds else { return }
        longTurns.append((loop.id, start, end, tasks))
    }

    /// Long NIO turns waiting to be judged: the spans that were open during one are on other threads' rings, which
    /// may not have been read that far yet when the turn's end is; they are judged `PoolState.judgingDelayNanoseconds`
    /// after it ends.
    private var longTurns: [(loop: UInt16, start: UInt64, end: UInt64, tasks: UInt64)] = []

    /// Judges what waits for other rings to be read (long NIO turns) as if every ring had been read: at the end of
    /// a recording, where nothing more will come.
    public mutating func judgePending() { judgeLongTurns(now: .max) }

    private mutating func judgeLongTurns(now: UInt64) {
        let ripe = now == .max ? now : now - min(now, PoolState.judgingDelayNanoseconds)
        let due = longTurns.filter { $0.end <= ripe }
        guard !due.isEmpty else { return }
        longTurns.removeAll { $0.end <= ripe }
        for turn in due.sorted(by: { ($0.end, $0.loop) < ($1.end, $1.loop) }) {
            warnLongTurn(loop: turn.loop, from: turn.start, to: turn.end, tasks: turn.tasks)
        }
    }

    private mutating func warnLongTurn(loop: UInt16, from start: UInt64, to end: UInt64, tasks: UInt64) {
        let turn = end - min(end, start)
        var open: [String] = []
        // Spans that were open for at least half of the turn (a request that waits for the loop ends inside the
        // turn's last task, as its response is written then).
        func coversTurn(_ span: SpanRecord) -> Bool {
            let overlapStart = max(start, span.beganNanoseconds)
            let overlapEnd = min(end, span.endedNanoseconds ?? end)
            return overlapEnd > overlapStart && overlapEnd - overlapStart >= turn / 2
        }
        var covering = state.openSpans.values.filter(coversTurn)
        for span in state.endedSpans.reversed() {
            // The log is in the order spans ended, give or take the rings' reading order.
            guard (span.endedNanoseconds ?? 0) &+ 1_000_000_000 >= start else { break }
            if coversTurn(span) { covering.append(span) }
        }
        // Latest begun first: the request that blocked the loop began just before the turn (the loop woke for its
        // work); requests held up by the turn had begun earlier and waited.
        for span in covering.sorted(by: { $0.beganNanoseconds > $1.beganNanoseconds }) {
            let name = state.text(span.nameID)
            if !name.isEmpty, !open.contains(name) { open.append(name) }
        }
        // The figure and the request first: a narrow column cuts the end of the line.
        let during = open.isEmpty ? " blocked the loop" : " during " + open.prefix(2).joined(separator: ", ")
        let items = tasks == 1 ? "1 task" : "\(tasks) tasks"
        warn(
            .blocking, at: end, loop: loop, subject: ProducerKind.name(loop: loop), culprit: .loop(loop),
            detail: "\(Format.duration(turn)) turn\(during) (\(items))", figure: turn)
    }

    /// A span opened or ended: the open spans, the ended spans' log, and the name of the task that opened it.
    private mutating func applySpan(_ event: TraceEvent, at time: UInt64, names: any NameResolver) {
        _ = resolve(event.name, names)
        let id = UInt32(truncatingIfNeeded: event.id)
        if event.kind == .spanBegan {
            let span = SpanRecord(
                id: id, parent: UInt32(truncatingIfNeeded: event.id >> 32), task: event.arg, loop: event.loop,
                nameID: event.name, beganNanoseconds: time)
            state.openSpans[id] = span
            nameTask(by: span)
            return
        }
        if event.kind == .spanNamed {
            guard event.name != .none, let position = state.openSpans.index(forKey: id) else { return }
            state.openSpans.values[position].nameID = event.name
            nameTask(by: state.openSpans.values[position])
            return
        }
        // An end whose beginning was not seen (it was before the reader came) is counted, not listed.
        state.totals.spansEnded += 1
        if event.arg & 1 != 0 { state.totals.spansFailed += 1 }
        guard var span = state.openSpans.removeValue(forKey: id) else { return }
        if event.name != .none { span.nameID = event.name }
        span.endedNanoseconds = time
        span.failed = event.arg & 1 != 0
        nameTask(by: span)
        let duration = span.durationNanoseconds(now: time)
        state.spanStats[span.nameID, default: SpanStats()].record(duration, failed: span.failed)
        state.endedSpans.append(span)
        if state.endedSpans.count > spanLogLimit { state.endedSpans.removeFirst() }
    }

    /// An unnamed task is called by its latest span that has no parent span of its own.
    private mutating func nameTask(by span: SpanRecord) {
        guard span.task != 0, span.nameID != .none, state.openSpans[span.parent]?.task != span.task,
            var task = state.tasks[span.task]
        else { return }
        task.spanNameID = span.nameID
        state.tasks[span.task] = task
    }

    /// The pool-saturated rule: a job waited at least the starvation threshold while every pool thread ran jobs the
    /// whole time. Judged from intervals, not from a running count: each thread's ring is read in turn, so events
    /// of different threads arrive out of order, and whether the threads were busy together is only known once
    /// all of them have been read that far (waits are judged `PoolState.judgingDelayNanoseconds` after they end).
    private mutating func warnIfPoolSaturated(now: UInt64) {
        let width = state.pool.width
        let ripe = now - min(now, PoolState.judgingDelayNanoseconds)
        var judged = 0
        for wait in state.pool.longWaits {
            guard wait.end <= ripe else { break }
            judged += 1
            guard width > 0, wait.start >= state.pool.saturationWarnedUntil else { continue }
            // A thread counts if it was busy from the wait's start until the job began, less the hand-over: the job
            // that waited starts on the thread whose job has just ended.
            let handOver = PoolState.handOverNanoseconds
            let covering = state.pool.busyIntervals.values.filter { intervals in
                intervals.contains { $0.start <= wait.start && $0.end &+ handOver >= wait.end }
            }.count
            guard covering >= width else { continue }
            state.pool.saturationWarnedUntil = wait.end
            warn(
                .poolSaturated, at: wait.end, loop: 0, subject: "Swift concurrency pool", culprit: .pool,
                detail: "a job waited \(Format.duration(wait.end - wait.start)), all \(width) threads busy",
                figure: wait.end - wait.start)
        }
        state.pool.longWaits.removeFirst(judged)
        let horizon = ripe - min(ripe, 2 * PoolState.judgingDelayNanoseconds)
        for key in Array(state.pool.busyIntervals.keys) {
            state.pool.busyIntervals[key]?.removeAll { $0.end < horizon }
        }
    }

    /// Records a scheduling delay in the loop's open second (the current event's).
    private func recordLatency(_ loop: inout LoopState, _ nanoseconds: UInt64) {
        loop.openSecondLatency.record(nanoseconds)
        loop.latencyBuckets.record(nanoseconds)
    }

    /// A wait of `duration` that ended at `end`, less the time the loop was held meanwhile (step mode: nobody's
    /// delay).
    private static func unheld(_ duration: UInt64, endingAt end: UInt64, on loop: LoopState) -> UInt64 {
        duration - loop.heldNanoseconds(from: end - min(end, duration), to: end)
    }

    /// A timer's firing, on its state in place; returns its site.
    private static func fire(_ timer: inout TimerState, at time: UInt64, lateness: UInt64) -> String {
        timer.timesFired += 1
        timer.lastLatenessNanoseconds = lateness
        timer.lastFiredNanoseconds = time
        timer.isPending = false
        return timer.site
    }

    /// A firing at a timer site, on its stats in place; a gap (`lastGap`) since its last firing leaves that period
    /// out.
    private static func fire(
        _ site: inout TimerSiteStats, at time: UInt64, lateness: UInt64, lastGap: ClosedRange<UInt64>?
    ) {
        if site.fired == 0 {
            site.firstFiredNanoseconds = time
        } else if lastGap.map({ site.lastFiredNanoseconds > $0.lowerBound }) ?? true {
            site.periods += 1
            site.periodsTotalNanoseconds &+= time - min(time, site.lastFiredNanoseconds)
        }
        site.fired += 1
        site.lastFiredNanoseconds = time
        site.totalLatenessNanoseconds &+= lateness  // wrapping: each ≤ 2^62 ns, their sum in a hostile trace is not
        site.maxLatenessNanoseconds = max(site.maxLatenessNanoseconds, lateness)
    }

    /// Adds busy time to the loop, split across the seconds the turn spans; `inIO`: time of the I/O phase, a part of
    /// the busy time already added.
    private func addBusy(_ loop: inout LoopState, from start: UInt64, to end: UInt64, inIO: Bool = false) {
        guard end > start else { return }
        // Wrapping: each turn is at most 2^62 ns (`nanoseconds(_:)` clamps times), but a hostile trace's overlapping
        // turns can add up past 2^64.
        if inIO { loop.ioBusyNanoseconds &+= end - start } else { loop.busyNanoseconds &+= end - start }
        var cursor = start
        let window = UInt64(loop.seconds.capacity) * 1_000_000_000
        if end - start > window {
            // A turn longer than the window (only a damaged or hostile trace has one): the seconds before the last
            // `capacity` leave the window as soon as they are written, so they go into the first as one lump (what
            // lasts of them is their sum), and the split below stays within the window.
            let lumpEnd = (end - window) / 1_000_000_000 * 1_000_000_000
            if lumpEnd > cursor {
                let lump = lumpEnd - cursor
                loop.seconds.update(second: cursor / 1_000_000_000) {
                    if inIO { $0.ioBusyNanoseconds &+= lump } else { $0.busyNanoseconds &+= lump }
                }
                cursor = lumpEnd
            }
        }
        while cursor < end {
            let second = cursor / 1_000_000_000
            let (next, overflow) = (second + 1).multipliedReportingOverflow(by: 1_000_000_000)
            let boundary = overflow ? end : min(end, next)
            let share = boundary - cursor
            loop.seconds.update(second: second) {
                if inIO { $0.ioBusyNanoseconds &+= share } else { $0.busyNanoseconds &+= share }
            }
            cursor = boundary
        }
    }

    private mutating func finishCallback(
        _ event: TraceEvent, at time: UInt64, loop: inout LoopState, names: any NameResolver
    ) {
        guard let running = loop.running, running.id == event.id else { return }
        loop.running = nil
        let duration = time - min(time, running.since)
        // Unnamed microtasks and callbacks are two sites of their own.
        let key = running.site == .none && running.isMicrotask ? Self.unnamedMicrotaskSite : running.site
        let position = callSiteSlot(key, isMicrotask: running.isMicrotask, names: names)
        let failed = event.kind == .callbackFailed
        state.callSites[position].record(duration, failed: failed)
        state.totals.callbacks += 1
        guard failed || duration >= min(slowCallbackNanoseconds, thresholds.blockingNanoseconds) else { return }
        let site = state.callSites[position].site
        if failed {
            state.totals.callbacksFailed += 1
            let error = resolve(NameID(rawValue: UInt32(truncatingIfNeeded: event.arg)), names)
            state.totals.unobservedFailures += 1
            warn(
                .unhandledFailure, at: time, loop: event.loop, subject: site, culprit: .callSite(site),
                detail: "callback threw: \(error)")
        }
        if duration >= slowCallbackNanoseconds {
            state.slowCallbacks.append(
                SlowCallback(site: site, loop: event.loop, atNanoseconds: running.since, durationNanoseconds: duration))
            if state.slowCallbacks.count > Self.slowCallbackLimit { state.slowCallbacks.removeFirst() }
        }
        if duration >= thresholds.blockingNanoseconds {
            warn(
                .blocking, at: time, loop: event.loop, subject: site, culprit: .callSite(site),
                detail: "callback blocked the loop for \(Format.duration(duration))", figure: duration)
        }
    }

    /// The index in `state.callSites` of the site named `key`, added on first use.
    @inline(__always)
    private mutating func callSiteSlot(_ key: NameID, isMicrotask: Bool, names: any NameResolver) -> Int {
        if lastCallSite.key == key, lastCallSite.slot >= 0 { return lastCallSite.slot }
        return lookUpCallSiteSlot(key, isMicrotask: isMicrotask, names: names)
    }

    private mutating func lookUpCallSiteSlot(_ key: NameID, isMicrotask: Bool, names: any NameResolver) -> Int {
        let slot: Int
        if let known = callSiteSlots[key] {
            slot = known
        } else {
            let name = key == Self.unnamedMicrotaskSite ? "" : resolve(key, names)
            slot = state.callSites.count
            state.callSites.append(
                CallSiteStats(site: name.isEmpty ? (isMicrotask ? "(microtask)" : "(callback)") : name))
            callSiteSlots[key] = slot
        }
        lastCallSite = (key, slot)
        return slot
    }

    /// The `callSites` key of microtasks that carry no name (unnamed callbacks use `NameID.none`).
    static let unnamedMicrotaskSite = NameID(rawValue: .max)

    private mutating func armTimer(_ event: TraceEvent, at time: UInt64, loop: inout LoopState, names: any NameResolver)
    {
        let deadline = nanoseconds(event.arg)
        loop.pendingTimers += 1
        let key = TimerKey(loop: event.loop, id: event.id)
        if var timer = state.timers[key] {
            if timer.timesFired > 0, deadline > timer.deadlineNanoseconds {
                timer.intervalNanoseconds = deadline - timer.deadlineNanoseconds
            }
            timer.deadlineNanoseconds = deadline
            timer.isPending = true
            state.timers[key] = timer
        } else {
            state.timers[key] = TimerState(
                id: event.id, loop: event.loop, site: resolve(event.name, names), deadlineNanoseconds: deadline)
        }
    }

    private mutating func applyTaskEvent(
        _ event: TraceEvent, at time: UInt64, loop: inout LoopState, names: any NameResolver
    ) {
        if event.kind == .taskSpawned {
            _ = resolve(event.name, names)
            if var known = state.tasks[event.id], !known.spawnSeen {
                // Its jobs came first: they ran on another thread, whose ring was read before the spawner's.
                known.nameID = event.name
                known.parent = event.arg
                known.loop = event.loop
                known.endUnseen = false
                known.spawnSeen = true
                known.spawnedNanoseconds = min(known.spawnedNanoseconds, time)
                state.tasks[event.id] = known
                if !known.structuredChild { state.totals.tasksSpawned += 1 }
                return
            }
            state.tasks[event.id] = TaskState(
                id: event.id, name: event.name, parent: event.arg, loop: event.loop, at: time)
            keepDetail(of: event.id)
            state.taskDetails[event.id]?.recentEvents.append(
                TaskEvent(atNanoseconds: time, kind: event.kind, state: .ready))
            state.totals.tasksSpawned += 1
            state.totals.liveTasks += 1
            state.totals.maxLiveTasks = max(state.totals.maxLiveTasks, state.totals.liveTasks)
            return
        }
        let onEventLoop = ProducerKind(loop: event.loop) == .eventLoop
        let firstSight =
            onEventLoop
            ? event.kind == .taskWoken || event.kind == .taskPollBegan
            : event.kind == .jobEnqueued || event.kind == .taskPollBegan || event.kind == .taskCompleted
                || event.kind == .taskFailed || event.kind == .taskCancelled
        if firstSight, state.tasks[event.id] == nil {
            // A task seen first (or only) through its jobs, whose end cannot be seen. On an event loop: one the loop
            // never spawned (a TaskGroup's child, a `Task` preferring the loop as its executor), with the task
            // whose poll enqueued its first job as its parent, the task that created it (a group's child is
            // created by `addTask` inside its parent's poll). From the tap: an `async let` child or a task created
            // before the tap; or one whose spawn is on a ring not read yet (pool threads' rings are read one after
            // another), which its spawn completes when it comes.
            let parent = onEventLoop && event.kind == .taskWoken ? loop.pollingTask : 0
            var discovered = TaskState(id: event.id, name: .none, parent: parent, loop: event.loop, at: time)
            discovered.spawnSeen = false
            if event.kind == .taskWoken, TaskWake(rawValue: event.arg).contains(.structuredChild), parent != 0 {
                // Spawned for sure (by a group's `addTask` or an `async let`), so counted as spawned: the totals
                // then add up with the list.
                discovered.structuredChild = true
                structuredChildren[parent, default: []].insert(event.id)
                state.totals.tasksSpawned += 1
            }
            discovered.endUnseen = onEventLoop || event.kind == .jobEnqueued || event.kind == .taskPollBegan
            discovered.state = event.kind == .jobEnqueued || event.kind == .taskWoken ? .waiting : .ready
            state.tasks[event.id] = discovered
            state.totals.liveTasks += 1
            state.totals.maxLiveTasks = max(state.totals.maxLiveTasks, state.totals.liveTasks)
        }
        guard var task = state.tasks[event.id] else {
            if event.kind == .failureUnobserved {
                unobserved(
                    event, subject: event.id == 0 ? "a failed future" : "task \(event.id)", at: time, names: names)
            }
            return
        }
        // A copy of a small value (no arrays inside), written back below; nothing else touches `tasks` meanwhile.
        let inState = time - min(time, task.stateSinceNanoseconds)
        // A state's start never moves back: an event read late (from a ring read after another's later events)
        // changes the state but adds no time twice, so busy + scheduled + idle never exceed the task's life.
        func enter(_ next: TaskRunState) {
            task.state = next
            task.stateSinceNanoseconds = max(task.stateSinceNanoseconds, time)
        }
        if event.kind == .taskWoken, TaskWake(rawValue: event.arg).contains(.cancelled) { task.seenCancelled = true }
        switch event.kind {
        case .taskLocation:
            _ = resolve(event.name, names)
            task.siteID = event.name
        case .taskWoken where time < task.stateSinceNanoseconds, .jobEnqueued where time < task.stateSinceNanoseconds:
            // Read late: the enqueuing thread's ring was read after the ring of the thread that already ran the
            // poll it caused (a reader reads rings one after another). The task is past it.
            task.wakes += 1
        case .taskWoken, .jobEnqueued:
            task.wakes += 1
            task.warnedLostWake = false
            if task.state == .waiting {
                task.idleNanoseconds += inState
                enter(.ready)
            } else if task.state == .running {
                task.wokenWhileRunning = true
            }
        case .taskPollBegan where task.state.isFinished:
            // Its end came first: pool threads' rings are read one after another, so a task that ended on one
            // thread can be read before the poll another thread began (and ended) before that.
            task.polls += 1
            state.totals.taskPolls += 1
        case .taskPollBegan:
            if task.state == .ready {
                task.scheduledWaitNanoseconds += inState
                keepDetail(of: event.id)
                state.taskDetails[event.id]?.scheduledWaits.record(inState)
                let waited = Self.unheld(inState, endingAt: time, on: loop)
                if waited >= thresholds.starvedNanoseconds, !task.warnedStarved {
                    warn(
                        .starved, at: time, loop: event.loop, subject: state.name(of: task), culprit: .task(task.id),
                        detail: "ready for \(Format.duration(waited)) before its poll", figure: waited)
                }
            } else if task.state == .waiting {
                task.idleNanoseconds += inState
            }
            task.warnedStarved = false
            task.polls += 1
            state.totals.taskPolls += 1
            recordLatency(&loop, Self.unheld(nanoseconds(event.arg), endingAt: time, on: loop))
            enter(.running)
            loop.pollingTask = event.id
        case .taskPollEnded where task.state.isFinished:
            // The runtime ends a task inside its last poll.
            if loop.pollingTask == event.id { loop.pollingTask = 0 }
        case .taskPollEnded:
            if loop.pollingTask == event.id { loop.pollingTask = 0 }
            if task.state == .running {
                task.busyNanoseconds += inState
                endPoll(of: task, lasting: inState, at: time, loop: event.loop)
            }
            enter(task.wokenWhileRunning ? .ready : .waiting)
            task.wokenWhileRunning = false
        case .taskCompleted, .taskFailed, .taskCancelled:
            // A task ends inside its last poll: that poll is over too.
            if loop.pollingTask == event.id { loop.pollingTask = 0 }
            if task.state == .running { endPoll(of: task, lasting: inState, at: time, loop: event.loop) }
            let final: TaskRunState =
                event.kind == .taskCompleted ? .done : event.kind == .taskFailed ? .failed : .cancelled
            guard finish(&task, as: final, at: time) else { break }
            if final == .failed {
                let error = NameID(rawValue: UInt32(truncatingIfNeeded: event.arg))
                _ = resolve(error, names)
                task.errorID = error
            }
            if task.structuredChild { forgetStructuredChild(event.id, of: task.parent) }
            endStructuredChildren(of: event.id, at: time, kind: event.kind)
        case .failureUnobserved:
            unobserved(event, subject: state.name(of: task), at: time, names: names)
        default:
            break
        }
        state.tasks[event.id] = task
        state.taskDetails[event.id]?.recentEvents.append(
            TaskEvent(atNanoseconds: time, kind: event.kind, state: task.state))
    }

    /// Says the trace has no events from `start` to `end` (nanoseconds; a flight recording's gap between two
    /// windows), before the events after it are ingested. Every loop counts it as held: no rule takes it for a
    /// wait, a delay or an idle stretch, no busy share for idle time, and no timer period spans it.
    public mutating func gap(from start: UInt64, to end: UInt64) {
        state.gaps.append(start...max(start, end))
        for id in state.loops.keys { state.loops[id]?.addHold(from: start, to: end) }
    }

    /// Structured children held to end with their parents (for tests: a parent that lives for ever must not make
    /// this grow).
    var structuredChildrenHeld: Int { structuredChildren.values.reduce(0) { $0 + $1.count } }

    /// Takes `child` out of the children `parent` ends with (it ended, or left the list).
    private mutating func forgetStructuredChild(_ child: UInt64, of parent: UInt64) {
        guard structuredChildren[parent]?.remove(child) != nil, structuredChildren[parent]?.isEmpty == true else {
            return
        }
        structuredChildren.removeValue(forKey: parent)
    }

    /// Ends the structured children of `parent` (ended at `time` by an event of `kind`) that are not over yet, and
    /// theirs: a structured child never outlives its parent. One seen cancelled ends cancelled; any other, `ended`.
    /// The totals count them (`tasksCancelled`, `tasksEnded`), as they counted them spawned.
    private mutating func endStructuredChildren(of parent: UInt64, at time: UInt64, kind: EventKind) {
        var parents = [parent]
        while let next = parents.popLast() {
            for id in structuredChildren.removeValue(forKey: next) ?? [] {
                guard var child = state.tasks[id], !child.state.isFinished else { continue }
                finish(&child, as: child.seenCancelled ? .cancelled : .ended, at: time)
                state.tasks[id] = child
                state.taskDetails[id]?.recentEvents.append(
                    TaskEvent(atNanoseconds: time, kind: kind, state: child.state))
                parents.append(id)
            }
        }
    }

    /// Ends `task` as `final` at `time` and counts it in the totals: the time since its last change goes where its
    /// state says (busy, scheduled wait or idle; a poll it was in is the caller's to report, `endPoll`). A task
    /// ended with its parent (`.ended`) whose own end is read later takes that end instead, counted once; any other
    /// end of a task already over changes nothing (false).
    @discardableResult
    private mutating func finish(_ task: inout TaskState, as final: TaskRunState, at time: UInt64) -> Bool {
        let inState = time - min(time, task.stateSinceNanoseconds)
        switch task.state {
        case .done, .failed, .cancelled: return false
        case .ended: state.totals.tasksEnded -= 1
        case .running: task.busyNanoseconds += inState
        case .ready: task.scheduledWaitNanoseconds += inState
        case .waiting: task.idleNanoseconds += inState
        }
        if task.state != .ended { state.totals.liveTasks -= 1 }
        task.state = final
        task.stateSinceNanoseconds = max(task.stateSinceNanoseconds, time)
        task.endedNanoseconds = time
        switch final {
        case .done: state.totals.tasksCompleted += 1
        case .failed: state.totals.tasksFailed += 1
        case .cancelled: state.totals.tasksCancelled += 1
        case .ended: state.totals.tasksEnded += 1
        case .running, .ready, .waiting: assertionFailure("a task cannot end as \(final)")
        }
        return true
    }

    /// Gives task `id` a `TaskDetail` (histograms and latest events) if it has none and the budget allows.
    private mutating func keepDetail(of id: UInt64) {
        guard state.taskDetails[id] == nil, taskHistograms < taskHistogramBudget else { return }
        state.taskDetails[id] = TaskDetail()
        taskHistograms += 1
    }

    /// A poll of `task` that lasted `duration`: its poll-time histogram and the blocking rule.
    private mutating func endPoll(of task: TaskState, lasting duration: UInt64, at time: UInt64, loop: UInt16) {
        state.taskDetails[task.id]?.pollTimes.record(duration)
        guard duration >= thresholds.blockingNanoseconds else { return }
        // The figure early: a narrow column cuts the end of the line.
        let detail =
            ProducerKind(loop: loop) == .poolThread
            ? "\(Format.duration(duration)) holding a pool thread"
            : "poll blocked the loop for \(Format.duration(duration))"
        warn(
            .blocking, at: time, loop: loop, subject: state.name(of: task), culprit: .task(task.id), detail: detail,
            figure: duration)
    }

    private mutating func unobserved(_ event: TraceEvent, subject: String, at time: UInt64, names: any NameResolver) {
        state.totals.unobservedFailures += 1
        let error = resolve(NameID(rawValue: UInt32(truncatingIfNeeded: event.arg)), names)
        // A future no task made (id 0) has nothing to jump to but the loop.
        warn(
            .unhandledFailure, at: time, loop: event.loop, subject: subject,
            culprit: event.id == 0 ? .loop(event.loop) : .task(event.id),
            detail: "\(error), never observed")  // the error first: a narrow column keeps it
    }

    /// Samples queue depths once per second of trace time, for the queue-growth rule.
    private mutating func sampleQueues(now: UInt64) {
        let second = now / 1_000_000_000
        guard lastSampledSecond != second else { return }
        lastSampledSecond = second
        for id in state.loops.keys.sorted() {
            guard var loop = state.loops[id] else { continue }
            if let growing = loop.queueGrowth.record(Int64(loop.callbackQueueDepth), at: now),
                growing >= thresholds.queueGrowthNanoseconds, !loop.queueGrowth.warned
            {
                loop.queueGrowth.warned = true
                warn(
                    .queueGrowth, at: now, loop: id, subject: "loop \(id) callbacks", culprit: .loop(id),
                    detail: "callback queue grew for \(Format.duration(growing)) to \(loop.callbackQueueDepth)",
                    figure: growing)
            }
            state.loops[id] = loop
        }
        for (name, value) in state.counters.sorted(by: { $0.key < $1.key }) {
            var tracker = counterGrowth[name] ?? GrowthTracker()
            if let growing = tracker.record(value, at: now), growing >= thresholds.queueGrowthNanoseconds,
                !tracker.warned
            {
                tracker.warned = true
                warn(
                    .queueGrowth, at: now, loop: 0, subject: name, culprit: .counter(name),
                    detail: "grew for \(Format.duration(growing)) to \(value)", figure: growing)
            }
            counterGrowth[name] = tracker
        }
    }

    /// `figure`: the duration the warning is about (how late, how long blocked or waiting), 0 when none: what a
    /// group of warnings is ranked by.
    private mutating func warn(
        _ kind: Warning.Kind, at time: UInt64, loop: UInt16, subject: String, culprit: Warning.Culprit, detail: String,
        figure: UInt64 = 0
    ) {
        state.totals.warningsByKind[kind, default: 0] += 1
        state.warnings.append(
            Warning(
                kind: kind, atNanoseconds: time, loop: loop, subject: subject, detail: detail, culprit: culprit,
                figureNanoseconds: figure))
        if state.warnings.count > warningLimit { state.warnings.removeFirst() }
    }
}
