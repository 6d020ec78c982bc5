import AsyncTopTrace
import DequeModule

/// Everything the views and the summary show, built by `Aggregator` from events alone: the same events give
/// the same state, live or replayed. All times are nanoseconds since the trace's epoch; all names are
/// terminal-safe display strings.
public struct RuntimeState: Sendable {
    /// Latest trace time seen (or advanced to).
    public var nowNanoseconds: UInt64 = 0
    /// Trace time of the first event.
    public var firstEventNanoseconds: UInt64?
    public var loops: [UInt16: LoopState] = [:]
    /// Tasks by id. `TaskState` holds no strings (names are ids into `names`), so copying or freeing a
    /// state with many tasks, as replay checkpoints do, moves memory without touching reference counts.
    public var tasks = TaskStore()
    /// The names tasks refer to, resolved once and made terminal-safe.
    public var names: [NameID: String] = [:]
    /// Poll-time and scheduled-wait histograms and latest events of the tasks under the aggregator's budget.
    public var taskDetails: [UInt64: TaskDetail] = [:]
    /// Timers not yet fired or cancelled, and repeating timers between firings, by loop and id (each loop numbers
    /// its own timers: two loops have a timer 1).
    public var timers: [TimerKey: TimerState] = [:]
    /// Callback and microtask call sites, in the order they first ran.
    public var callSites: [CallSiteStats] = []
    /// The most recent callbacks that ran for at least `Aggregator.slowCallbackNanoseconds`, newest last.
    public var slowCallbacks: Deque<SlowCallback> = []
    /// Warnings, oldest first (the newest `Aggregator.warningLimit` are kept).
    public var warnings: Deque<Warning> = []
    /// User counters by name: latest value.
    public var counters: [String: Int64] = [:]
    /// User counters by name: highest value seen.
    public var counterPeaks: [String: Int64] = [:]
    /// User counters by name: each of the last 64 seconds in which the counter was set (its highest and its last
    /// value then), for the Overview's sparklines. ~1.5 KiB a counter.
    public var counterSeconds: [String: SecondBuckets<CounterSecond>] = [:]
    /// Timer firings by call site, over the whole trace.
    public var timerSites: [String: TimerSiteStats] = [:]
    public var totals = Totals()
    /// Swift Concurrency's global executor, as the concurrency tap sees it (empty without one).
    public var pool = PoolState()
    /// Spans of the tracing bridge not ended yet, by span id.
    public var openSpans: [UInt32: SpanRecord] = [:]
    /// The latest ended spans, oldest first (the newest `Aggregator.spanLogLimit`).
    public var endedSpans: Deque<SpanRecord> = []
    /// Ended spans by final name, over the whole trace.
    public var spanStats: [NameID: SpanStats] = [:]

    public init() {}

    /// A resolved name ("" for none).
    public func text(_ id: NameID) -> String { names[id] ?? "" }
    /// A task's name; for an unnamed task the name of the latest span it opened (a server's request task:
    /// `GET /slow`); else "task ID".
    public func name(of task: TaskState) -> String {
        let name = text(task.nameID)
        if !name.isEmpty { return name }
        let span = text(task.spanNameID)
        if !span.isEmpty { return span }
        // A structured child the loop never saw spawned is named after its parent, one level (no chain walk).
        if task.structuredChild, let parent = tasks[task.parent] {
            let parentName = text(parent.nameID)
            if !parentName.isEmpty { return "child of \(parentName)" }
        }
        return "task \(task.id)"
    }
    /// Task `id`'s spans, open ones first (oldest first), then its ended ones still in the log, newest first, at
    /// most `limit` in all. O(open spans + log length).
    public func spans(of id: UInt64, limit: Int) -> [SpanRecord] {
        var found = openSpans.values.filter { $0.task == id }.sorted { $0.beganNanoseconds < $1.beganNanoseconds }
        for span in endedSpans.reversed() where span.task == id {
            guard found.count < limit else { break }
            found.append(span)
        }
        return Array(found.prefix(limit))
    }
    /// Where a task was spawned ("" if unknown).
    public func site(of task: TaskState) -> String { text(task.siteID) }
    /// Why a failed task failed.
    public func error(of task: TaskState) -> String? { task.errorID.map(text) }

    /// The call site displayed as `site`, if any callback ran there.
    public func callSite(named site: String) -> CallSiteStats? { callSites.first { $0.site == site } }

    /// Trace time covered so far.
    public var elapsedNanoseconds: UInt64 {
        nowNanoseconds - min(nowNanoseconds, firstEventNanoseconds ?? nowNanoseconds)
    }
    /// Stretches the trace has no events of, in order: a flight recording's gaps between the windows it kept
    /// (`Aggregator.gap(from:to:)`). Few: one per window.
    public var gaps: [ClosedRange<UInt64>] = []
    /// `elapsedNanoseconds` less the gaps in it: the time the trace shows.
    public var watchedNanoseconds: UInt64 {
        let start = firstEventNanoseconds ?? nowNanoseconds
        return elapsedNanoseconds - min(elapsedNanoseconds, Self.nanoseconds(in: gaps, from: start, to: nowNanoseconds))
    }

    /// `loop`'s busy share from its start to `now`, less the trace's gaps: what every view and summary shows.
    public func busyRatio(of loop: LoopState, until now: UInt64) -> Double { loop.busyRatio(until: now, gaps: gaps) }

    /// `loop`'s figures over the window ending at `nowSecond`, less the trace's gaps: what every view and scrape
    /// shows.
    public func window(of loop: LoopState, endingAt nowSecond: UInt64) -> LoopWindow {
        LoopWindow(loop, endingAt: nowSecond, gaps: gaps)
    }

    /// How much of `start..<end` the `gaps` cover (they are apart, as `gaps` keeps them).
    public static func nanoseconds(in gaps: [ClosedRange<UInt64>], from start: UInt64, to end: UInt64) -> UInt64 {
        gaps.reduce(0) { sum, gap in
            let overlapEnd = min(gap.upperBound, end)
            // Saturating: a hostile trace's gaps may overlap.
            let (total, overflow) = sum.addingReportingOverflow(
                overlapEnd - min(overlapEnd, max(gap.lowerBound, start)))
            return overflow ? .max : total
        }
    }

    /// Whole-trace counts.
    public struct Totals: Hashable, Sendable {
        public var events: UInt64 = 0
        public var missed: UInt64 = 0
        public var spansEnded: UInt64 = 0
        public var spansFailed: UInt64 = 0
        public var tasksSpawned: UInt64 = 0
        /// Polls of every task (a task's job run once).
        public var taskPolls: UInt64 = 0
        public var tasksCompleted: UInt64 = 0
        public var tasksFailed: UInt64 = 0
        public var tasksCancelled: UInt64 = 0
        /// Structured children the loop never saw end, ended with their parent (`TaskRunState.ended`).
        public var tasksEnded: UInt64 = 0
        public var callbacks: UInt64 = 0
        public var callbacksFailed: UInt64 = 0
        public var timersFired: UInt64 = 0
        public var timersCancelled: UInt64 = 0
        public var maxTimerLatenessNanoseconds: UInt64 = 0
        public var unobservedFailures: UInt64 = 0
        /// Tasks spawned and not finished, now and at most.
        public var liveTasks: UInt64 = 0
        public var maxLiveTasks: UInt64 = 0
        public var warningsByKind: [Warning.Kind: UInt64] = [:]
        public var warnings: UInt64 { warningsByKind.values.reduce(0, +) }
    }
}

/// One event loop's picture.
public struct LoopState: Sendable {
    public let id: UInt16
    public var threadID: UInt64 = 0
    public var startedNanoseconds: UInt64?
    public var stoppedNanoseconds: UInt64?
    public var ticks: UInt64 = 0
    /// Items (callbacks, microtasks, NIO tasks) the loop's turns ran, as their `tickEnded` events count them.
    public var itemsRun: UInt64 = 0
    public var busyNanoseconds: UInt64 = 0
    /// The part of `busyNanoseconds` spent in the I/O phase (I/O handlers); the rest ran tasks, callbacks and
    /// timers.
    public var ioBusyNanoseconds: UInt64 = 0
    public var events: UInt64 = 0
    /// The last minute, second by second (and the seconds before, merged).
    public var seconds = SecondBuckets(capacity: 64, empty: LoopSecond()) { total, second in
        total.latency.add(second.latency)
    }
    /// Scheduling delay of every callback, microtask, poll and timer (run time − ready time), over the whole
    /// run: merged from the seconds on demand (O(window)), so that ingesting records each delay once.
    public var latency: LatencyHistogram { seconds.merged.latency }
    /// The same delays over the whole run in fixed buckets (exact at each bound), for exporters.
    public var latencyBuckets = LatencyBuckets()
    public var callbackQueueDepth = 0
    public var microtaskQueueDepth = 0
    public var pendingTimers = 0
    public var ioWatchers = 0
    public var phase: LoopPhase?
    /// The task whose poll is in progress on the loop (0 between polls): the parent of a task it creates that the
    /// loop never sees spawned.
    var pollingTask: UInt64 = 0
    /// When the current phase began.
    var phaseSince: UInt64 = 0
    /// Since when the loop is held between items (step mode), while it is.
    public var heldSinceNanoseconds: UInt64?
    /// Holds that ended, as (end, time held in all until then), the last 64: how much of a wait was a hold.
    var holdEnds: Deque<(end: UInt64, heldTotal: UInt64)> = []
    var heldTotalNanoseconds: UInt64 = 0
    /// The turn was busy when the hold began: it goes on being busy when the hold ends.
    var turnResumesAfterHold = false

    /// Time the loop was held within `start...end` (holds before the last 64 are not known: counted as none).
    public func heldNanoseconds(from start: UInt64, to end: UInt64) -> UInt64 {
        guard end > start, heldTotalNanoseconds > 0 || heldSinceNanoseconds != nil else { return 0 }
        func total(at time: UInt64) -> UInt64 { holdEnds.last { $0.end <= time }?.heldTotal ?? 0 }
        var held = total(at: end) - min(total(at: end), total(at: start))
        if let since = heldSinceNanoseconds, end > since { held += end - max(since, start) }
        return min(held, end - start)
    }

    /// Set by `timerFired` and `ioReady`: the next `callbackBegan` is that timer's or I/O handler's callback, which
    /// was never queued.
    var unqueuedCallbackNext: EventKind?
    /// Start of the busy stretch in progress (a turn's start, or the end of its poll).
    var tickStartedAt: UInt64?
    /// The callback or microtask running now (its site's name id: resolved only when it ends).
    var running: (id: UInt64, site: NameID, isMicrotask: Bool, since: UInt64)?
    var queueGrowth = GrowthTracker()
    /// The bounds, in trace nanoseconds, of the second whose events are being counted (none before the first
    /// event), so that each event is placed by two compares rather than a division; and the events and delays
    /// not yet added to `seconds`.
    var openSecondStart = UInt64.max
    var openSecondEnd: UInt64 = 0
    var openSecond: UInt64 { openSecondStart / 1_000_000_000 }
    var openSecondEvents: UInt64 = 0
    /// The deepest the callback and microtask queues got in the open second (a flood drained within a turn is
    /// gone by the turn's end, where the depth was sampled before).
    var openSecondDeepest = (callbacks: 0, microtasks: 0)
    var openSecondLatency = LatencyHistogram()
    /// Listed in the aggregator's loops to close at the end of the batch.
    var openSecondPending = false

    public init(id: UInt16) { self.id = id }

    /// Busy share of the loop's life so far (0…1), less the `gaps` the trace has no events of (`RuntimeState.gaps`,
    /// a flight recording's; `RuntimeState.busyRatio(of:until:)` passes them). Time held in step mode counts, as
    /// idle: a share of the unheld moments alone read 100%.
    public func busyRatio(until now: UInt64, gaps: [ClosedRange<UInt64>]) -> Double {
        let start = startedNanoseconds ?? 0
        guard now > start else { return 0 }
        let watched = now - start - min(now - start, RuntimeState.nanoseconds(in: gaps, from: start, to: now))
        return watched == 0 ? 0 : min(1, Double(busyNanoseconds) / Double(watched))
    }

    /// A stretch the loop was held (step mode) or the trace has no events of (a gap), which no rule counts as
    /// anybody's wait or delay.
    mutating func addHold(from start: UInt64, to end: UInt64) {
        // Saturating: each hold is at most 2^62 ns (times are clamped), but a hostile trace's holds add up past
        // 2^64 (found by the atrace fuzz target).
        let (sum, overflow) = heldTotalNanoseconds.addingReportingOverflow(end - min(end, start))
        heldTotalNanoseconds = overflow ? .max : sum
        holdEnds.append((end, heldTotalNanoseconds))
        if holdEnds.count > 64 { holdEnds.removeFirst() }
    }
}

/// One second of one loop.
public struct LoopSecond: Sendable {
    public var busyNanoseconds: UInt64 = 0
    /// The part of `busyNanoseconds` in the I/O phase.
    public var ioBusyNanoseconds: UInt64 = 0
    public var ticks: UInt64 = 0
    public var itemsRun: UInt64 = 0
    public var events: UInt64 = 0
    public var latency = LatencyHistogram()
    /// The deepest the callback and microtask queues got in the second.
    public var callbackQueueDepth = 0
    public var microtaskQueueDepth = 0
    /// The callback and microtask queues at the second's last reading: what a quiet second after it still holds.
    public var callbacksAtEnd = 0
    public var microtasksAtEnd = 0
    /// Timers pending and I/O watchers at the second's last reading.
    public var pendingTimers = 0
    public var ioWatchers = 0
    public init() {}
}

/// Lifecycle of a task as the views show it.
public enum TaskRunState: String, Sendable, CaseIterable {
    case running, ready, waiting, done, failed, cancelled
    /// Over, but how is not known: a structured child whose own end the trace cannot show (the loop never spawned
    /// it), ended with its parent, which a structured child never outlives.
    case ended
    public var isFinished: Bool { self == .done || self == .failed || self == .cancelled || self == .ended }
}

/// One async task.
public struct TaskState: Sendable {
    public let id: UInt64
    /// The task's name (`RuntimeState.name(of:)` gives the text).
    public var nameID: NameID
    public var parent: UInt64
    public var loop: UInt16
    /// Where it was spawned (`RuntimeState.site(of:)`).
    public var siteID = NameID.none
    /// The name of the latest span the task opened with no parent span in the same task (its request, for a
    /// server's connection task): how an unnamed task is called.
    public var spanNameID = NameID.none
    public var state: TaskRunState = .ready
    public var polls: UInt64 = 0
    public var wakes: UInt64 = 0
    public var busyNanoseconds: UInt64 = 0
    public var scheduledWaitNanoseconds: UInt64 = 0
    public var idleNanoseconds: UInt64 = 0
    public var spawnedNanoseconds: UInt64
    public var endedNanoseconds: UInt64?
    /// When the current state began.
    public var stateSinceNanoseconds: UInt64
    /// The error a failed task ended with (`RuntimeState.error(of:)`).
    public var errorID: NameID?
    /// True for a task known only from its jobs (created where the tap could not see, such as an `async let`
    /// child): its end cannot be seen, so it leaves the list after `Aggregator.retentionNanoseconds` waiting.
    public var endUnseen = false
    /// False for a task known from its jobs before (or without) its spawn.
    public var spawnSeen = true
    /// A task group's child or an `async let` (`TaskWake.structuredChild`): it ends with its parent at the latest.
    public var structuredChild = false
    /// Seen cancelled when woken (`TaskWake.cancelled`).
    var seenCancelled = false
    var wokenWhileRunning = false
    var warnedStarved = false
    var warnedLostWake = false

    init(id: UInt64, name: NameID, parent: UInt64, loop: UInt16, at time: UInt64) {
        self.id = id
        self.nameID = name
        self.parent = parent
        self.loop = loop
        self.spawnedNanoseconds = time
        self.stateSinceNanoseconds = time
    }

    /// Total lifetime so far.
    public func totalNanoseconds(now: UInt64) -> UInt64 { (endedNanoseconds ?? now) - spawnedNanoseconds }

    /// Time in the current state so far (0 once finished): what the totals below add for the state in progress.
    private func inState(now: UInt64) -> UInt64 { state.isFinished ? 0 : now - min(now, stateSinceNanoseconds) }
    /// Busy, scheduled-wait and idle time up to `now`, the state in progress included: a task waiting for the last
    /// second shows that second as idle while it waits, not only once it wakes.
    public func busyNanoseconds(now: UInt64) -> UInt64 { busyNanoseconds + (state == .running ? inState(now: now) : 0) }
    public func scheduledWaitNanoseconds(now: UInt64) -> UInt64 {
        scheduledWaitNanoseconds + (state == .ready ? inState(now: now) : 0)
    }
    public func idleNanoseconds(now: UInt64) -> UInt64 { idleNanoseconds + (state == .waiting ? inState(now: now) : 0) }
}

/// A task's poll durations, ready→poll waits and latest events, kept from its spawn (or first poll) while under the
/// aggregator's budget: out of `TaskState`, so that a list of 100 000 tasks walks small records (with the events
/// inline, a frame of the tasks view took ~30 % longer).
public struct TaskDetail: Sendable {
    public var pollTimes = LatencyHistogram()
    public var scheduledWaits = LatencyHistogram()
    public var recentEvents = RecentTaskEvents()
}

/// One of a task's recent events, for its detail view.
public struct TaskEvent: Hashable, Sendable {
    public var atNanoseconds: UInt64
    public var kind: EventKind
    public var state: TaskRunState
}

/// A user counter's values in one second in which it was set.
public struct CounterSecond: Sendable {
    public var highest = Int64.min
    /// Its value at the end of the second (what it holds through the seconds after, until set again).
    public var last: Int64 = 0
}

/// Which timer: a loop numbers its timers from 1, so an id alone names one timer per loop.
public struct TimerKey: Hashable, Sendable {
    public var loop: UInt16
    public var id: UInt64

    public init(loop: UInt16, id: UInt64) {
        self.loop = loop
        self.id = id
    }
}

/// A timer, pending or repeating.
public struct TimerState: Sendable {
    public let id: UInt64
    public var loop: UInt16
    public var site: String
    public var deadlineNanoseconds: UInt64
    /// Time between its last two deadlines, for repeating timers.
    public var intervalNanoseconds: UInt64?
    public var timesFired: UInt64 = 0
    public var lastLatenessNanoseconds: UInt64?
    public var lastFiredNanoseconds: UInt64?
    public var isPending = true
}

/// Firings of the timers armed at one call site.
public struct TimerSiteStats: Hashable, Sendable {
    public var site: String
    public var fired: UInt64 = 0
    public var firstFiredNanoseconds: UInt64 = 0
    public var lastFiredNanoseconds: UInt64 = 0
    public var totalLatenessNanoseconds: UInt64 = 0
    public var maxLatenessNanoseconds: UInt64 = 0
    /// Times between two firings, and their sum: those across a gap in the trace are not counted.
    public var periods: UInt64 = 0
    public var periodsTotalNanoseconds: UInt64 = 0

    /// Mean time between firings (how a repeating timer's period drifts under load); 0 with none.
    public var meanPeriodNanoseconds: UInt64 { periods > 0 ? periodsTotalNanoseconds / periods : 0 }
}

/// Totals for one callback call site.
public struct CallSiteStats: Sendable {
    public var site: String
    public var count: UInt64 = 0
    public var totalNanoseconds: UInt64 = 0
    public var maxNanoseconds: UInt64 = 0
    public var failures: UInt64 = 0

    mutating func record(_ duration: UInt64, failed: Bool) {
        count += 1
        totalNanoseconds += duration
        maxNanoseconds = max(maxNanoseconds, duration)
        if failed { failures += 1 }
    }
}

/// A callback that ran long.
public struct SlowCallback: Hashable, Sendable {
    public var site: String
    public var loop: UInt16
    public var atNanoseconds: UInt64
    public var durationNanoseconds: UInt64
}

/// Watches a sampled queue depth second by second and says when it has grown for long enough: every
/// sample higher than the one before (a queue held flat at its bound is not growing).
struct GrowthTracker: Sendable {
    private var since: UInt64?
    private var lastDepth: Int64 = 0
    private var lastSecond: UInt64?
    var warned = false

    /// Records a depth at `time` (one sample a second of trace time); returns how long it has been growing, or nil if
    /// it is not. Growing means higher at every sample, a second apart: a second without a sample (nothing happened
    /// in it) starts over, so a counter that rose and then stayed put while the program was quiet is not growing.
    mutating func record(_ depth: Int64, at time: UInt64) -> UInt64? {
        let second = time / 1_000_000_000
        defer {
            lastDepth = depth
            lastSecond = second
        }
        guard let since, let lastSecond, second == lastSecond + 1, depth > lastDepth else {
            since = time
            warned = false
            return nil
        }
        return time - since
    }
}

/// Swift Concurrency's cooperative pool (the global executor), summed over its threads. Each pool thread is also
/// a `LoopState` of its own (loop ids from `ProducerKind.poolThreadBase`), whose busy time is its jobs' run time.
public struct PoolState: Sendable {
    /// Jobs handed to the global executor and not yet begun (the run queue, over all priorities).
    public var queued = 0
    /// The longest run queue seen between two reads (see `Aggregator.ingest`).
    public var maxQueued = 0
    /// Pool threads running a job now.
    public var running = 0
    /// How many threads the runtime's queues run at once (the machine's CPUs), as the tap reports it; 0 unknown.
    public var width = 0
    public var jobsEnqueued: UInt64 = 0
    public var jobsRun: UInt64 = 0
    /// Jobs that were not one task's poll, by what they are (an actor drain runs jobs of several tasks).
    public var otherJobs: [JobKind: UInt64] = [:]
    /// Jobs that waited at least the starvation threshold, by end of wait, not yet judged by the pool-saturated
    /// rule; and each pool thread's recent jobs that ran at least as long (the only ones that can cover such a
    /// wait).
    var longWaits: [(start: UInt64, end: UInt64)] = []
    var busyIntervals: [UInt16: [(start: UInt64, end: UInt64)]] = [:]
    /// Waits ending before this are part of a saturation already warned about.
    var saturationWarnedUntil: UInt64 = 0
    /// How long after a wait ends the rule judges it (every thread's ring has been read that far by then).
    static let judgingDelayNanoseconds: UInt64 = 500_000_000
    /// Time between one job's end on a thread and the next one's start there that still counts as busy.
    static let handOverNanoseconds: UInt64 = 2_000_000

    /// The counter the tap reports the pool's width in.
    public static let widthCounter = "swift.pool.width"

    public init() {}
    /// True once any pool event was seen.
    public var isActive: Bool { jobsEnqueued > 0 || jobsRun > 0 }
}

/// A span of the tracing bridge (`AsyncTopTracing`): an operation a library or the program named, such as one HTTP
/// request, tied to the task that opened it.
public struct SpanRecord: Hashable, Sendable {
    public var id: UInt32
    /// The enclosing span (0 for a root span).
    public var parent: UInt32
    /// The task that opened it (0 outside a task).
    public var task: UInt64
    /// The thread (loop id) it was opened on.
    public var loop: UInt16
    /// Its operation name: the one it was opened with, then its final one (`RuntimeState.text`).
    public var nameID: NameID
    public var beganNanoseconds: UInt64
    public var endedNanoseconds: UInt64?
    public var failed = false

    public func durationNanoseconds(now: UInt64) -> UInt64 {
        (endedNanoseconds ?? now) - min(endedNanoseconds ?? now, beganNanoseconds)
    }
}

/// The ended spans of one name (one route of a server), over the whole trace.
public struct SpanStats: Hashable, Sendable {
    public var count: UInt64 = 0
    public var failed: UInt64 = 0
    public var totalNanoseconds: UInt64 = 0
    public var maxNanoseconds: UInt64 = 0
    public init() {}

    mutating func record(_ duration: UInt64, failed: Bool) {
        count += 1
        totalNanoseconds += duration
        maxNanoseconds = max(maxNanoseconds, duration)
        if failed { self.failed += 1 }
    }
}
