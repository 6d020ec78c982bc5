import AsyncTopModel
import AsyncTopTrace

/// What `asynctop serve` exports of each watched process, named by Prometheus conventions (base units, `_total`
/// on counters, `_seconds`, `_ratio`): one family per concern, every sample labelled `pid` and `process`, a loop's
/// also `loop` (its name as the monitor shows it) and `kind` (`event_loop`, `nio_loop`, `pool_thread`).
///
/// The figures are the model's, the ones the monitor shows: busy ratio over the Overview's window
/// (`LoopWindow`), scheduling latency over the loop's whole life (`LatencyBuckets`), totals since the reader
/// attached. Threads that only enqueue jobs run nothing and are left out.
///
/// Cost: O(processes × loops × buckets + tasks) per scrape.
public enum FleetMetrics {
    /// One process's state as a scrape sees it.
    public struct Process {
        public var pid: Int32
        public var name: String
        public var state: RuntimeState
        /// False on the last scrape after its producer ended.
        public var live: Bool
        public init(pid: Int32, name: String, state: RuntimeState, live: Bool) {
            self.pid = pid
            self.name = name
            self.state = state
            self.live = live
        }
    }

    static let traceLive = MetricsExposition.Family(
        "asynctop_trace_live", .gauge, "1 while the process publishes its trace, 0 on the last scrape after it ended")
    static let traceEvents = MetricsExposition.Family(
        "asynctop_trace_events", .counter, "Trace events read from the process since asynctop serve attached")
    static let traceMissed = MetricsExposition.Family(
        "asynctop_trace_missed_events", .counter,
        "Trace events the process overwrote before they were read (lost, counted)")
    static let warnings = MetricsExposition.Family(
        "asynctop_warnings", .counter, "Warnings raised by asynctop's rules, by kind")
    static let tasks = MetricsExposition.Family("asynctop_tasks", .gauge, "Live tasks by state")
    static let tasksSpawned = MetricsExposition.Family("asynctop_tasks_spawned", .counter, "Tasks spawned")
    static let tasksFinished = MetricsExposition.Family(
        "asynctop_tasks_finished", .counter, "Tasks that ended, by outcome (completed, failed, cancelled)")
    static let taskPolls = MetricsExposition.Family(
        "asynctop_task_polls", .counter, "Task polls (a task's job run once)")
    static let callbacks = MetricsExposition.Family(
        "asynctop_callbacks", .counter, "Callbacks run by asynctop event loops")
    static let poolQueued = MetricsExposition.Family(
        "asynctop_pool_queued_jobs", .gauge, "Swift Concurrency jobs enqueued and not yet running")
    static let userCounters = MetricsExposition.Family(
        "asynctop_user_value", .gauge, "The latest value of each user counter (recordCounter, swift-metrics), by name")
    static let loopLatency = MetricsExposition.Family(
        "asynctop_loop_latency_seconds", .histogram,
        "Scheduling delay on the loop: from ready (enqueued, due) to running, of every callback, microtask, poll and "
            + "timer"
    )
    static let loopBusyRatio = MetricsExposition.Family(
        "asynctop_loop_busy_ratio", .gauge, "Share of the last 10 completed seconds the loop spent running work")
    static let loopBusy = MetricsExposition.Family(
        "asynctop_loop_busy_seconds", .counter, "Time the loop spent running work")
    static let loopIOBusy = MetricsExposition.Family(
        "asynctop_loop_io_busy_seconds", .counter, "The part of the busy time spent in I/O handlers")
    static let loopTicks = MetricsExposition.Family("asynctop_loop_ticks", .counter, "Loop turns")
    static let loopItems = MetricsExposition.Family(
        "asynctop_loop_items_run", .counter, "Items (callbacks, microtasks, NIO tasks) the loop's turns ran")
    static let loopQueue = MetricsExposition.Family(
        "asynctop_loop_queue_depth", .gauge,
        "Items waiting on an asynctop event loop, by queue (callbacks, microtasks, timers, io_watchers)")

    /// The latency buckets' bounds in seconds, as `le` labels.
    static let latencyBounds = LatencyBuckets.boundsNanoseconds.map { MetricsExposition.number(Double($0) / 1e9) }

    /// Writes every family for `processes` into `exposition`.
    public static func write(_ processes: [Process], into exposition: inout MetricsExposition) {
        let labelled = processes.map { process in
            (process, MetricsExposition.Labels().adding("pid", String(process.pid)).adding("process", process.name))
        }
        func family(_ family: MetricsExposition.Family, _ body: (Process, MetricsExposition.Labels) -> Void) {
            exposition.begin(family)
            for (process, labels) in labelled { body(process, labels) }
        }
        family(traceLive) { exposition.sample(traceLive, $1, $0.live ? UInt64(1) : 0) }
        family(traceEvents) { exposition.sample(traceEvents, $1, $0.state.totals.events) }
        family(traceMissed) { exposition.sample(traceMissed, $1, $0.state.totals.missed) }
        family(warnings) { process, labels in
            for kind in Warning.Kind.allCases {
                exposition.sample(
                    warnings, labels + [("kind", kind.rawValue)], process.state.totals.warningsByKind[kind] ?? 0)
            }
        }
        family(tasks) { process, labels in
            var byState: [TaskRunState: UInt64] = [:]
            for task in process.state.tasks.live.values { byState[task.state, default: 0] += 1 }
            for state in TaskRunState.allCases where !state.isFinished {
                exposition.sample(tasks, labels + [("state", state.rawValue)], byState[state] ?? 0)
            }
        }
        family(tasksSpawned) { exposition.sample(tasksSpawned, $1, $0.state.totals.tasksSpawned) }
        family(tasksFinished) { process, labels in
            let totals = process.state.totals
            exposition.sample(tasksFinished, labels + [("outcome", "completed")], totals.tasksCompleted)
            exposition.sample(tasksFinished, labels + [("outcome", "failed")], totals.tasksFailed)
            exposition.sample(tasksFinished, labels + [("outcome", "cancelled")], totals.tasksCancelled)
        }
        family(taskPolls) { exposition.sample(taskPolls, $1, $0.state.totals.taskPolls) }
        family(callbacks) { exposition.sample(callbacks, $1, $0.state.totals.callbacks) }
        family(poolQueued) { process, labels in
            if process.state.pool.isActive {
                exposition.sample(poolQueued, labels, UInt64(max(0, process.state.pool.queued)))
            }
        }
        family(userCounters) { process, labels in
            for (name, value) in process.state.counters.sorted(by: { $0.key < $1.key }) {
                exposition.sample(userCounters, labels + [("name", name)], Double(value))
            }
        }
        writeLoops(labelled, into: &exposition)
    }

    private static func writeLoops(
        _ processes: [(Process, MetricsExposition.Labels)], into exposition: inout MetricsExposition
    ) {
        let loops = processes.flatMap { process, labels in
            let nowSecond = process.state.nowNanoseconds / 1_000_000_000
            return process.state.loops.values.sorted { $0.id < $1.id }.compactMap {
                loop -> (LoopState, MetricsExposition.Labels, busyRatio: Double)? in
                let kind: String
                switch ProducerKind(loop: loop.id) {
                case .eventLoop: kind = "event_loop"
                case .nioLoop: kind = "nio_loop"
                case .poolThread: kind = "pool_thread"
                case .enqueuingThread: return nil
                }
                let busyRatio = process.state.window(of: loop, endingAt: nowSecond).busyRatio
                return (loop, labels + [("loop", ProducerKind.name(loop: loop.id)), ("kind", kind)], busyRatio)
            }
        }
        let bounds = Self.latencyBounds
        exposition.begin(loopLatency)
        for (loop, labels, _) in loops {
            let buckets = loop.latencyBuckets
            exposition.histogram(
                loopLatency, labels, bounds: bounds, cumulativeCounts: buckets.cumulativeCounts, count: buckets.count,
                sum: Double(buckets.sumNanoseconds) / 1e9)
        }
        exposition.begin(loopBusyRatio)
        for (_, labels, busyRatio) in loops { exposition.sample(loopBusyRatio, labels, busyRatio) }
        exposition.begin(loopBusy)
        for (loop, labels, _) in loops { exposition.sample(loopBusy, labels, Double(loop.busyNanoseconds) / 1e9) }
        exposition.begin(loopIOBusy)
        for (loop, labels, _) in loops { exposition.sample(loopIOBusy, labels, Double(loop.ioBusyNanoseconds) / 1e9) }
        exposition.begin(loopTicks)
        for (loop, labels, _) in loops { exposition.sample(loopTicks, labels, loop.ticks) }
        exposition.begin(loopItems)
        for (loop, labels, _) in loops { exposition.sample(loopItems, labels, loop.itemsRun) }
        exposition.begin(loopQueue)
        for (loop, labels, _) in loops where ProducerKind(loop: loop.id) == .eventLoop {
            let depths = [
                ("callbacks", loop.callbackQueueDepth), ("microtasks", loop.microtaskQueueDepth),
                ("timers", loop.pendingTimers), ("io_watchers", loop.ioWatchers)
            ]
            for (queue, depth) in depths {
                exposition.sample(loopQueue, labels + [("queue", queue)], UInt64(max(0, depth)))
            }
        }
    }
}
