import ArgumentParser
import AsyncTopModel
import AsyncTopRuntime
import AsyncTopTestSupport
import AsyncTopTrace
import AsyncTopUI
import Foundation
import Synchronization

/// `asynctop-bench ui`: what watching costs.
///
/// - `events_per_s`: events a traced loop produced (and the monitor ingested) per second during the run.
/// - `ui_cpu_percent`: the monitor thread's CPU time / wall time, reading as often as the feed asks (see
///   `LiveFeed.readIntervalNanoseconds`) and drawing at 10 Hz to the in-memory canvas, while the loop produces
///   ≥ 1M events/s.
/// - `ui_cpu_percent_terminal`: the same for the real `asynctop attach` drawing with ncurses in a tmux
///   pseudo-terminal (its process CPU time from /proc), attached to this process's published region.
/// - `frame_ms_100k_tasks`: one frame with 100 000 live tasks — advance the aggregate, filter, sort by busy
///   time, draw the tasks view — median of 10.
struct UIBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Monitor cost: CPU share while watching a busy loop, and frame time with 100k tasks.")

    @OptionGroup var options: ReportOptions

    @Option(help: "Seconds to measure each CPU share.")
    var seconds: Double = 8

    @Option(help: "The asynctop binary for the terminal measurement.")
    var asynctop: String = "../.build/release/asynctop"

    func run() throws {
        let region = try Region.publish(processName: "asynctop-bench-ui")
        let loop = try EventLoop(name: "bench-producer", region: region)
        // 400 callbacks every millisecond: each is enqueued, begins and ends (3 events): 1.2M events/s + timers.
        let producing = Atomic<Bool>(true)
        loop.execute {
            _ = loop.scheduleRepeating(every: .milliseconds(1)) { tick in
                guard producing.load(ordering: .relaxed) else { return tick.handle.cancel() }
                for _ in 0..<400 { loop.execute {} }
            }
        }
        let memory = measureInMemory(region: region)
        let terminal = measureTerminal(region: region)
        producing.store(false, ordering: .relaxed)
        loop.shutdown()
        region.close()
        let frame = frameWith100kTasks()
        let ingest = ingestNanosecondsPerEvent()

        var report = BenchmarkReport(title: "asynctop-bench ui  (\(Int(seconds)) s per measurement)")
        report.add("events_per_s", memory.eventsPerSecond, "events/s", "produced by one traced loop, all ingested")
        report.add("missed_events", Double(memory.missed), "events")
        report.add("ui_cpu_percent", memory.cpuPercent, "%", "monitor thread, 10 Hz, in-memory canvas")
        report.add(
            "ui_cpu_percent_terminal", terminal, "%",
            terminal == nil ? "asynctop binary or tmux not found" : "asynctop attach in tmux, ncurses")
        report.add("frame_ms_100k_tasks", frame, "ms", "advance + filter + sort + draw, 120x40")
        report.add("ingest_ns_per_event", ingest, "ns", "aggregating the loop's callback events alone, median of 5")
        report.print(json: options.json)
    }

    /// The monitor's own loop (LiveFeed + Screen) on this thread, timed by thread CPU clock.
    func measureInMemory(region: Region) -> (eventsPerSecond: Double, cpuPercent: Double, missed: UInt64) {
        let feed = LiveFeed(
            source: InProcessSource(region: region), thresholds: WarningThresholds(),
            retentionNanoseconds: 10_000_000_000)
        var monitor = MonitorState(sourceLabel: "bench")
        var canvas = MemoryCanvas(rows: 40, columns: 120)
        feed.update(wallNanoseconds: TraceClock.monotonicNanoseconds(), final: true)
        let startEvents = feed.state.totals.events
        let startMissed = feed.state.totals.missed
        let startCPU = threadCPUNanoseconds()
        let start = TraceClock.monotonicNanoseconds()
        let end = start + UInt64(seconds * 1e9)
        var nextFrame = start
        while true {
            let now = TraceClock.monotonicNanoseconds()
            if now >= end { break }
            let frame = now >= nextFrame
            feed.update(wallNanoseconds: now, final: frame)
            if frame {
                nextFrame += 100_000_000
                Screen.draw(feed.state, &monitor, on: &canvas)
            }
            // As the app does: wait for the next frame or for the feed's next read, whichever comes first.
            let wait = feed.nanosecondsUntilUpdate(frameDueAt: nextFrame, now: TraceClock.monotonicNanoseconds())
            usleep(UInt32(max(1_000, wait / 1_000)))
        }
        let wall = Double(TraceClock.monotonicNanoseconds() - start)
        let cpu = Double(threadCPUNanoseconds() - startCPU)
        return (
            Double(feed.state.totals.events - startEvents) / wall * 1e9, cpu / wall * 100,
            feed.state.totals.missed - startMissed
        )
    }

    /// The real binary in a tmux pseudo-terminal, attached to this process; its CPU share from /proc.
    func measureTerminal(region: Region) -> Double? {
        guard FileManager.default.isExecutableFile(atPath: asynctop), let path = region.path else { return nil }
        guard let session = try? TmuxSession("\(asynctop) attach \(path)", name: "asynctop-bench-\(getpid())")
        else { return nil }
        defer { session.end() }
        usleep(1_000_000)
        guard let before = processCPUNanoseconds(session.panePID) else { return nil }
        let start = TraceClock.monotonicNanoseconds()
        usleep(UInt32(seconds * 1e6))
        guard let after = processCPUNanoseconds(session.panePID) else { return nil }
        return Double(after - before) / Double(TraceClock.monotonicNanoseconds() - start) * 100
    }

    func processCPUNanoseconds(_ pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        return (user + system) * 1_000_000_000 / UInt64(sysconf(Int32(_SC_CLK_TCK)))
    }

    func threadCPUNanoseconds() -> UInt64 {
        var ts = timespec(tv_sec: 0, tv_nsec: 0)
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// What the monitor's CPU share is made of: the aggregator alone on 1.2M events shaped like the loop's
    /// above (each callback enqueued, begun, ended), in batches of 24 000 (20 ms of it); median of 5.
    func ingestNanosecondsPerEvent() -> Double {
        let names = SyntheticNames(["Bench.swift:42"])
        var batches: [EventBatch] = []
        var time: UInt64 = 1_000
        var id: UInt64 = 0
        for _ in 0..<50 {
            var batch = EventBatch()
            for _ in 0..<8_000 {
                id += 1
                batch.events.append(
                    TraceEvent(time: time, kind: .callbackEnqueued, loop: 1, name: NameID(rawValue: 1), id: id))
                batch.events.append(
                    TraceEvent(
                        time: time + 300, kind: .callbackBegan, loop: 1, name: NameID(rawValue: 1), id: id, arg: 300))
                batch.events.append(TraceEvent(time: time + 500, kind: .callbackEnded, loop: 1, id: id))
                time += 830
            }
            batch.segments = [
                EventBatch.Segment(ring: RingIdentity(index: 0, threadID: 1, loop: 1), range: 0..<batch.events.count)
            ]
            batches.append(batch)
        }
        let events = Double(batches.reduce(0) { $0 + $1.events.count })
        var samples: [Double] = []
        for _ in 0..<5 {
            var aggregator = Aggregator(
                calibration: ClockCalibration(
                    kind: .monotonic, nanosecondsPerTick: 1, epochTicks: 0, epochMonotonicNanoseconds: 0,
                    epochUnixNanoseconds: 0))
            let start = TraceClock.monotonicNanoseconds()
            for batch in batches { aggregator.ingest(batch, names: names) }
            samples.append(Double(TraceClock.monotonicNanoseconds() - start) / events)
            precondition(aggregator.state.totals.callbacks == UInt64(events / 3))
        }
        return samples.sorted()[samples.count / 2]
    }

    /// 100 000 live tasks, each spawned and polled once, then the cost of a frame of the tasks view.
    func frameWith100kTasks() -> Double {
        let names = SyntheticNames(["fetch", "render", "store", "notify"])
        var aggregator = Aggregator(
            calibration: ClockCalibration(
                kind: .monotonic, nanosecondsPerTick: 1, epochTicks: 0, epochMonotonicNanoseconds: 0,
                epochUnixNanoseconds: 0))
        var time: UInt64 = 1_000
        for id in 1...100_000 as ClosedRange<UInt64> {
            let name = NameID(rawValue: UInt32(id % 4) + 1)
            aggregator.ingest(TraceEvent(time: time, kind: .taskSpawned, loop: 0, name: name, id: id), names: names)
            aggregator.ingest(TraceEvent(time: time + 100, kind: .taskPollBegan, loop: 0, id: id), names: names)
            aggregator.ingest(
                TraceEvent(time: time + 100 + id % 5_000, kind: .taskPollEnded, loop: 0, id: id), names: names)
            time += 200
        }
        var monitor = MonitorState(sourceLabel: "bench")
        monitor.view = .tasks
        monitor.taskSort = .busy
        monitor.sortDescending = true
        monitor.taskFilter = "state:waiting"
        var canvas = MemoryCanvas(rows: 40, columns: 120)
        var samples: [Double] = []
        for frame in 0..<11 {
            let start = TraceClock.monotonicNanoseconds()
            aggregator.advance(to: time + UInt64(frame) * 100_000_000)
            Screen.draw(aggregator.state, &monitor, on: &canvas)
            if frame > 0 { samples.append(Double(TraceClock.monotonicNanoseconds() - start) / 1e6) }
        }
        precondition(canvas.text.contains("waiting"), "the frame did not draw the tasks")
        return samples.sorted()[samples.count / 2]
    }
}

/// Names for synthetic traces: ids 1…n in order.
final class SyntheticNames: NameResolver {
    private let names: [[UInt8]]
    init(_ names: [String]) { self.names = names.map { Array($0.utf8) } }
    func bytes(for id: NameID) -> [UInt8]? {
        let index = Int(id.rawValue) - 1
        return names.indices.contains(index) ? names[index] : nil
    }
    func all() -> [(id: NameID, bytes: [UInt8])] {
        names.enumerated().map { (NameID(rawValue: UInt32($0.offset + 1)), $0.element) }
    }
}
