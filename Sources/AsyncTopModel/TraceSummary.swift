import AsyncTopTrace

/// The summary of a whole trace, as `asynctop stats --json` prints it: one object whose fields are stable
/// for scripts (milliseconds as floating point, times relative to the first event).
public struct TraceSummary: Codable, Hashable, Sendable {
    public struct Tasks: Codable, Hashable, Sendable {
        public var spawned: UInt64
        public var completed: UInt64
        public var failed: UInt64
        public var cancelled: UInt64
        /// Structured children whose own end the trace could not show, ended with their parent.
        public var ended: UInt64
        public var maxLive: UInt64
        enum CodingKeys: String, CodingKey {
            case spawned, completed, failed, cancelled, ended
            case maxLive = "max_live"
        }
    }
    public struct Latency: Codable, Hashable, Sendable {
        public var p50: Double
        public var p99: Double
        public var max: Double
    }
    public struct Loop: Codable, Hashable, Sendable {
        public var id: UInt16
        /// "loop 1", "NIO loop 1", "pool thread 1", "thread 1".
        public var name: String
        /// "event_loop", "nio_loop" (SwiftNIO), "pool_thread" (Swift Concurrency) or "enqueuing_thread" (hands jobs
        /// to the pool only).
        public var producer: String
        /// Scheduling delays; for a NIO loop, the length of each busy turn (the longest a task could have waited).
        public var latencyMilliseconds: Latency
        public var busyRatio: Double
        /// The part of the busy ratio spent handling I/O (the rest ran tasks, callbacks and timers).
        public var ioBusyRatio: Double
        /// Turns for an event loop, jobs run for a pool thread.
        public var ticks: UInt64
        /// Callbacks, microtasks or NIO tasks the turns ran.
        public var itemsRun: UInt64
        public var events: UInt64
        enum CodingKeys: String, CodingKey {
            case id, name, producer, ticks, events
            case latencyMilliseconds = "latency_ms"
            case busyRatio = "busy_ratio"
            case ioBusyRatio = "io_busy_ratio"
            case itemsRun = "items_run"
        }
    }
    /// Ended spans of one name (the tracing bridge's: a server's route, `GET /slow`).
    public struct Span: Codable, Hashable, Sendable {
        public var name: String
        public var count: UInt64
        public var failed: UInt64
        public var meanMilliseconds: Double
        public var maxMilliseconds: Double
        enum CodingKeys: String, CodingKey {
            case name, count, failed
            case meanMilliseconds = "mean_ms"
            case maxMilliseconds = "max_ms"
        }
    }
    /// Swift Concurrency's cooperative pool, summed over its threads (absent without a concurrency tap).
    public struct Pool: Codable, Hashable, Sendable {
        public var threads: Int
        public var width: Int
        public var busyRatio: Double
        public var jobsEnqueued: UInt64
        public var jobsRun: UInt64
        public var maxQueued: Int
        /// Scheduling delay of every job (enqueue to start).
        public var latencyMilliseconds: Latency
        /// Jobs that were not one task's poll, by what they were ("actor drain").
        public var otherJobs: [String: UInt64]
        enum CodingKeys: String, CodingKey {
            case threads, width
            case busyRatio = "busy_ratio"
            case jobsEnqueued = "jobs_enqueued"
            case jobsRun = "jobs_run"
            case maxQueued = "max_queued"
            case latencyMilliseconds = "latency_ms"
            case otherJobs = "other_jobs"
        }
    }
    public struct CallSite: Codable, Hashable, Sendable {
        public var site: String
        public var count: UInt64
        public var totalMilliseconds: Double
        public var maxMilliseconds: Double
        enum CodingKeys: String, CodingKey {
            case site, count
            case totalMilliseconds = "total_ms"
            case maxMilliseconds = "max_ms"
        }
    }
    public struct Callbacks: Codable, Hashable, Sendable {
        public var count: UInt64
        public var failed: UInt64
        public var slowest: [CallSite]
    }
    public struct TimerSite: Codable, Hashable, Sendable {
        public var site: String
        public var fired: UInt64
        public var meanPeriodMilliseconds: Double
        public var meanLatenessMilliseconds: Double
        public var maxLatenessMilliseconds: Double
        enum CodingKeys: String, CodingKey {
            case site, fired
            case meanPeriodMilliseconds = "mean_period_ms"
            case meanLatenessMilliseconds = "mean_lateness_ms"
            case maxLatenessMilliseconds = "max_lateness_ms"
        }
    }
    public struct Timers: Codable, Hashable, Sendable {
        public var fired: UInt64
        public var cancelled: UInt64
        public var maxLatenessMilliseconds: Double
        public var bySite: [TimerSite]
        enum CodingKeys: String, CodingKey {
            case fired, cancelled
            case maxLatenessMilliseconds = "max_lateness_ms"
            case bySite = "by_site"
        }
    }
    public struct Counter: Codable, Hashable, Sendable {
        public var last: Int64
        public var max: Int64
    }
    public struct WarningEntry: Codable, Hashable, Sendable {
        public var kind: String
        public var atSeconds: Double
        public var subject: String
        public var detail: String
        enum CodingKeys: String, CodingKey {
            case kind, subject, detail
            case atSeconds = "at_s"
        }
    }

    public var events: UInt64
    public var missed: UInt64
    public var durationSeconds: Double
    /// Of the duration, the time in gaps the trace has no events of (a flight recording's, between the windows
    /// it kept), and how many gaps.
    public var gapSeconds: Double
    public var gaps: Int
    public var tasks: Tasks
    public var loops: [Loop]
    public var pool: Pool?
    /// Spans by name, most frequent first (empty without the tracing bridge).
    public var spans: [Span]
    public var callbacks: Callbacks
    public var timers: Timers
    public var counters: [String: Counter]
    public var warnings: [WarningEntry]

    enum CodingKeys: String, CodingKey {
        case events, missed, gaps, tasks, loops, pool, spans, callbacks, timers, counters, warnings
        case durationSeconds = "duration_s"
        case gapSeconds = "gap_s"
    }

    /// Summarises a state (normally after a whole trace was ingested).
    public init(_ state: RuntimeState) {
        func ms(_ ns: UInt64) -> Double { Double(ns) / 1e6 }
        let start = state.firstEventNanoseconds ?? 0
        let t = state.totals
        events = t.events
        missed = t.missed
        durationSeconds = Double(state.elapsedNanoseconds) / 1e9
        gapSeconds = Double(state.elapsedNanoseconds - state.watchedNanoseconds) / 1e9
        gaps = state.gaps.count
        tasks = Tasks(
            spawned: t.tasksSpawned, completed: t.tasksCompleted, failed: t.tasksFailed, cancelled: t.tasksCancelled,
            ended: t.tasksEnded,
            maxLive: t.maxLiveTasks)
        loops = state.loops.values.sorted { $0.id < $1.id }.map { loop in
            let latency = loop.latency  // merged from the loop's seconds: once, not per figure
            let producer: String
            switch ProducerKind(loop: loop.id) {
            case .eventLoop: producer = "event_loop"
            case .nioLoop: producer = "nio_loop"
            case .poolThread: producer = "pool_thread"
            case .enqueuingThread: producer = "enqueuing_thread"
            }
            let end = loop.stoppedNanoseconds ?? state.nowNanoseconds
            let busy = state.busyRatio(of: loop, until: end)
            let ioShare = loop.busyNanoseconds == 0 ? 0 : Double(loop.ioBusyNanoseconds) / Double(loop.busyNanoseconds)
            return Loop(
                id: loop.id, name: ProducerKind.name(loop: loop.id), producer: producer,
                latencyMilliseconds: Latency(
                    p50: ms(latency.percentile(50)), p99: ms(latency.percentile(99)), max: ms(latency.max)),
                busyRatio: busy, ioBusyRatio: busy * ioShare, ticks: loop.ticks, itemsRun: loop.itemsRun,
                events: loop.events)
        }
        spans = state.spanStats.map { name, stats in
            Span(
                name: state.text(name), count: stats.count, failed: stats.failed,
                meanMilliseconds: stats.count == 0 ? 0 : ms(stats.totalNanoseconds / stats.count),
                maxMilliseconds: ms(stats.maxNanoseconds))
        }.sorted { ($0.count, $1.name) > ($1.count, $0.name) }
        if state.pool.isActive {
            let threads = state.loops.values.filter { ProducerKind(loop: $0.id) == .poolThread }
            var latency = LatencyHistogram()
            for thread in threads { latency.add(thread.latency) }
            let busy = threads.map { state.busyRatio(of: $0, until: state.nowNanoseconds) }
            pool = Pool(
                threads: threads.count, width: state.pool.width,
                busyRatio: busy.isEmpty ? 0 : busy.reduce(0, +) / Double(busy.count),
                jobsEnqueued: state.pool.jobsEnqueued, jobsRun: state.pool.jobsRun, maxQueued: state.pool.maxQueued,
                latencyMilliseconds: Latency(
                    p50: ms(latency.percentile(50)), p99: ms(latency.percentile(99)), max: ms(latency.max)),
                otherJobs: state.pool.otherJobs.reduce(into: [:]) { $0[$1.key.label, default: 0] += $1.value })
        }
        let slowest = state.callSites.sorted { ($0.maxNanoseconds, $0.site) > ($1.maxNanoseconds, $1.site) }.prefix(10)
        callbacks = Callbacks(
            count: t.callbacks, failed: t.callbacksFailed,
            slowest: slowest.map {
                CallSite(
                    site: $0.site, count: $0.count, totalMilliseconds: ms($0.totalNanoseconds),
                    maxMilliseconds: ms($0.maxNanoseconds))
            })
        timers = Timers(
            fired: t.timersFired, cancelled: t.timersCancelled,
            maxLatenessMilliseconds: ms(t.maxTimerLatenessNanoseconds),
            bySite: state.timerSites.values.sorted { $0.site < $1.site }.map {
                TimerSite(
                    site: $0.site, fired: $0.fired, meanPeriodMilliseconds: ms($0.meanPeriodNanoseconds),
                    meanLatenessMilliseconds: $0.fired == 0 ? 0 : ms($0.totalLatenessNanoseconds / $0.fired),
                    maxLatenessMilliseconds: ms($0.maxLatenessNanoseconds))
            })
        counters = state.counters.reduce(into: [:]) {
            $0[$1.key] = Counter(last: $1.value, max: state.counterPeaks[$1.key] ?? $1.value)
        }
        warnings = state.warnings.map {
            WarningEntry(
                kind: $0.kind.rawValue, atSeconds: Double($0.atNanoseconds - min($0.atNanoseconds, start)) / 1e9,
                subject: $0.subject, detail: $0.detail)
        }
    }
}
