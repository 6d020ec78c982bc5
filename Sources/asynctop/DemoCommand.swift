import ArgumentParser
import AsyncTopDemos
import AsyncTopModel
import AsyncTopRuntime
import AsyncTopTrace
import AsyncTopUI
import CAsyncTopSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `asynctop demo [NAME] [--record FILE | --publish] [--duration S]`: lists the demos, runs one live in the
/// monitor with its narrative in a caption panel, records one headless, or runs one headless publishing its
/// trace for other asynctop commands (`attach`, `record --pid`, `events`, `list`, `serve`) to read.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Teaching demos: list them, watch one live, or record one.",
        discussion: "Keys in a live demo: c shows or hides the caption; in the tour, n goes to the next demo.")

    @Argument(help: "The demo to run (omit to list them).")
    var name: String?

    @Option(help: "Record the demo headless to this .atrace file instead of showing it.")
    var record: String?

    @Flag(
        help: "Run headless, publishing the trace for `asynctop attach PID` and the like, until --duration or Ctrl-C.")
    var publish = false

    @Option(help: "Seconds to run headless (with --record: default 10; with --publish: until interrupted).")
    var duration: Double?

    @OptionGroup var monitor: MonitorOptions

    func run() throws {
        guard let name else {
            print("Demos (asynctop demo NAME to watch one, asynctop with no arguments for the tour):\n")
            for demo in DemoCatalog.all {
                print("  " + demo.name + String(repeating: " ", count: max(1, 25 - demo.name.count)) + demo.summary)
            }
            return
        }
        guard let demo = DemoCatalog.named(name) else {
            throw CommandFailure(message: "no demo named '\(TerminalSafeText.make(name))'; `asynctop demo` lists them")
        }
        if publish, record != nil {
            throw CommandFailure(
                message: "--publish and --record are separate ways to run a demo: pick one", exitCode: 64)
        }
        if let duration, duration <= 0 || !duration.isFinite {
            throw CommandFailure(message: "--duration must be a positive number of seconds", exitCode: 64)
        }
        if publish {
            try Self.publishDemo(demo, duration: duration)
            return
        }
        if duration != nil, record == nil {
            throw CommandFailure(
                message:
                    "--duration is for a headless run (--record FILE or --publish); a live demo runs until you press q",
                exitCode: 64)
        }
        if let record {
            try Self.recordDemo(
                named: demo.name, to: record, duration: duration ?? 10, last: nil, onWarning: false, monitor: monitor)
            return
        }
        try Self.tour(starting: demo, only: true, monitor: monitor)
    }

    /// Runs a demo headless and records it.
    static func recordDemo(
        named name: String, to path: String, duration: Double, last: UInt64?, onWarning: Bool, monitor: MonitorOptions
    ) throws {
        guard let demo = DemoCatalog.named(name) else {
            throw CommandFailure(message: "no demo named '\(TerminalSafeText.make(name))'; `asynctop demo` lists them")
        }
        let running = try RunningDemo(demo)
        defer { running.stop() }
        try RecordCommand.record(
            source: InProcessSource(region: running.region), to: path, duration: duration, last: last,
            onWarning: onWarning,
            monitor: monitor)
    }

    /// Runs a demo headless with its region published, until `duration` passes or SIGINT/SIGTERM.
    static func publishDemo(_ demo: Demo, duration: Double?) throws {
        asynctop_install_stop_signals()
        let running = try RunningDemo(demo, publish: true)
        defer { running.stop() }
        printToStandardError(
            "demo \(demo.name) publishing as pid \(getpid()): `asynctop attach \(getpid())` watches it"
                + (duration.map { " (for \(Format.duration(UInt64($0 * 1e9))))" } ?? " (Ctrl-C stops it)"))
        let deadline = duration.map { TraceClock.monotonicNanoseconds() + UInt64($0 * 1e9) }
        while !asynctop_stop_requested() {
            if let deadline, TraceClock.monotonicNanoseconds() >= deadline { break }
            usleep(50_000)
        }
    }

    /// Shows demos live: just `first` (`only`), or the tour from `first` on, `n` moving to the next.
    static func tour(starting first: Demo, only: Bool, monitor: MonitorOptions) throws {
        do { try MonitorApp.checkTerminal() } catch { throw CommandFailure(message: error.description, exitCode: 2) }
        var index = DemoCatalog.all.firstIndex { $0.name == first.name } ?? 0
        var running = try RunningDemo(DemoCatalog.all[index])
        func label(_ demo: Demo) -> String {
            only ? "demo \(demo.name)" : "tour \(index + 1)/\(DemoCatalog.all.count): \(demo.name)"
        }
        let app = MonitorApp(
            source: InProcessSource(region: running.region), label: label(running.demo), options: monitor.app)
        // The keys of the mode the demo is in: step mode's own while it holds the loop.
        func keys(stepping: Bool) -> [(key: String, help: String)] {
            stepping
                ? [("n", "run one item"), ("Esc", "resume the loop"), ("c", "caption on/off")]
                : [("c", "caption on/off"), ("s", "step mode: hold the loop (n one item, Esc resumes)")]
                    + (only ? [] : [("n", "next demo")])
        }
        app.appKeys = keys(stepping: false)
        app.onKey = { key, state in
            let stepper = running.context.loop.stepper
            switch key {
            case .character("c"):
                state.showCaption.toggle()
                return true
            case .character("s"):
                stepper.pause()
                state.stepReport = StepReport.lines(stepper)
                return true
            case .character("n") where stepper.isPaused:
                stepper.step()
                usleep(20_000)  // let the item run, so the report below shows it
                state.stepReport = StepReport.lines(stepper)
                return true
            case .escape where stepper.isPaused:
                stepper.resume()
                state.stepReport = nil
                return true
            case .character("n") where !only:
                running.stop()
                index = (index + 1) % DemoCatalog.all.count
                guard let next = try? RunningDemo(DemoCatalog.all[index]) else { return true }
                running = next
                app.replaceFeed(
                    LiveFeed(
                        source: InProcessSource(region: next.region), thresholds: monitor.thresholds,
                        retentionNanoseconds: UInt64(monitor.retentionSeconds * 1e9)),
                    label: label(next.demo), resetting: &state)
                return true
            default:
                return false
            }
        }
        app.beforeFrame = { state in
            let demo = running.demo
            let stepping = running.context.loop.stepper.isPaused
            if stepping { state.stepReport = StepReport.lines(running.context.loop.stepper) }
            app.appKeys = keys(stepping: stepping)
            let log = running.context.recentLog
            state.caption = Caption(
                title: "\(demo.name): \(demo.summary)",
                lines: demo.narrative(naming: running.context.group)
                    + (log.isEmpty ? [] : ["log: " + log.joined(separator: " · ")]))
            return true
        }
        defer { running.stop() }
        do { try app.run() } catch { throw CommandFailure(message: error.description, exitCode: 2) }
    }
}

/// The step-mode panel: what the last stepped item was and how the queues changed.
enum StepReport {
    static func lines(_ stepper: LoopStepper) -> [String] {
        var lines = ["loop held between items — n runs exactly one, Esc resumes"]
        guard let step = stepper.lastStep else { return lines + ["no item stepped yet"] }
        lines.append(
            "step \(step.number): ran \(step.kind.rawValue) \(step.id) in \(Format.duration(step.durationNanoseconds))")
        let b = step.before
        let a = step.after
        lines.append(
            "queues  callbacks \(b.callbacks) → \(a.callbacks)   task polls \(b.taskJobs) → \(a.taskJobs)   "
                + "microtasks \(b.microtasks) → \(a.microtasks)   timers \(b.timers) → \(a.timers)"
        )
        return lines
    }
}
