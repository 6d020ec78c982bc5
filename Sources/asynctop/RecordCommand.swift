import ArgumentParser
import AsyncTopModel
import AsyncTopTrace
import CAsyncTopSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `asynctop record -o FILE (--pid PID | --demo NAME | -- CMD ARGS...) [--duration S] [--last 10s [--on-warning]]`:
/// headless recording with a progress line on stderr; Ctrl-C finishes the file cleanly.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a process or a demo to a .atrace file, headless.",
        discussion: """
            With --last, only the most recent window is kept in memory (a flight recorder) and written on exit, \
            on SIGUSR1, or with --on-warning when a warning fires. After --, a Swift program is started with its \
            Concurrency tasks traced (as `asynctop run` does) and recorded until it exits; asynctop exits with \
            its status.
            """)

    @Option(name: .shortAndLong, help: "The .atrace file to write.")
    var output: String

    @Option(help: "Record the process with this pid (it must publish its region).")
    var pid: Int32?

    @Option(help: "Record a demo (see `asynctop demo`).")
    var demo: String?

    @Option(help: "Stop after this many seconds (default: until the process ends or Ctrl-C).")
    var duration: Double?

    @Option(help: "Flight recorder: keep only this much recent time, e.g. 10s or 500ms.")
    var last: String?

    @Flag(name: .customLong("on-warning"), help: "With --last: write the window as soon as a warning fires.")
    var onWarning = false

    @Option(help: "Directory of region files, for --pid.")
    var directory: String = RegionDirectory.defaultPath

    @OptionGroup var monitor: MonitorOptions

    @Argument(parsing: .postTerminator, help: "A Swift program and its arguments to start and record, after --.")
    var command: [String] = []

    func validate() throws {
        guard [pid != nil, demo != nil, !command.isEmpty].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --pid, --demo or -- CMD")
        }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if last != nil, parseDuration(last!) == nil {
            throw ValidationError("--last takes a duration such as 10s or 500ms")
        }
        if onWarning, last == nil { throw ValidationError("--on-warning needs --last") }
    }

    func run() throws {
        if let pid {
            let source = try AttachCommand.open(String(pid), directory: directory)
            try Self.record(
                source: source, to: output, duration: duration, last: last.flatMap(parseDuration), onWarning: onWarning,
                monitor: monitor)
        } else if let demo {
            try DemoCommand.recordDemo(
                named: demo, to: output, duration: duration ?? 10, last: last.flatMap(parseDuration),
                onWarning: onWarning, monitor: monitor)
        } else {
            let program = try RunCommand.inspect(command[0])
            let child = try TracedChild(program, arguments: Array(command.dropFirst()), output: .inherit)
            let source = try child.attach()
            do {
                try Self.record(
                    source: source, to: output, duration: duration, last: last.flatMap(parseDuration),
                    onWarning: onWarning, monitor: monitor)
            } catch {
                child.terminate()
                throw error
            }
            let status = child.terminate()
            if status != 0 { throw ExitCode(status) }
        }
    }

    /// Records `source` until it ends, `duration` passes, or SIGINT/SIGTERM; prints progress on stderr.
    static func record(
        source: any Source, to path: String, duration: Double?, last window: UInt64?, onWarning: Bool,
        monitor: MonitorOptions, whileRecording: () -> Void = {}
    ) throws {
        asynctop_install_stop_signals()
        let flight = window.map { FlightRecorder(source: source, windowNanoseconds: $0) }
        var writer: TraceFileWriter?
        if flight == nil {
            do { writer = try TraceFileWriter(path: path, info: source.info) } catch {
                throw CommandFailure(message: error.description)
            }
        }
        var watcher = onWarning ? Aggregator(calibration: source.info.calibration, thresholds: monitor.thresholds) : nil
        let start = TraceClock.monotonicNanoseconds()
        let deadline = duration.map { start + UInt64($0 * 1e9) }
        // Paced like the monitor (read before a ring is half full), in big chunks: the file's chunks follow them.
        let reader = PacedReader(source: source, chunkEvents: 1 << 20)
        let calibration = source.info.calibration
        func traceTicksNow() -> UInt64 { TraceClock.now(of: calibration.kind) &- calibration.epochTicks }
        let startTicks = traceTicksNow()
        var events: UInt64 = 0
        var missed: UInt64 = 0
        var lastProgress: UInt64 = 0
        var ended: String?
        let interactive = isatty(2) == 1
        func progress(final: Bool) {
            let kept =
                flight.map { "\($0.retainedEvents) events in the window" } ?? "\(writer?.bytesWritten ?? 0) bytes"
            let line = "recording \(path): \(events) events, \(kept), \(missed) missed"
            printToStandardError((interactive ? "\r" : "") + line, newline: final || !interactive)
        }
        do {
            while ended == nil {
                whileRecording()
                try reader.readAvailable(wallNanoseconds: TraceClock.monotonicNanoseconds()) { batch, _ in
                    events += UInt64(batch.events.count)
                    missed &+= batch.missed
                    if let flight {
                        flight.keep(batch)
                        let before = watcher?.state.totals.warnings ?? 0
                        watcher?.ingest(batch, names: source.names)  // in place: no copy of the aggregate per batch
                        if let watcher, watcher.state.totals.warnings > before {
                            // Every warning of the batch is counted (a batch often raises several: a block and the
                            // timers it made late); a new line only after the progress line on a terminal.
                            let fired = watcher.state.totals.warnings - before
                            printToStandardError(
                                (interactive ? "\n" : "") + "warning fired: "
                                    + (watcher.state.warnings.last.map { "\($0.kind.rawValue) \($0.subject)" } ?? "")
                                    + (fired > 1 ? " and \(fired - 1) more" : "") + "; window saved"
                            )
                            try flight.dump(to: path, nowTicks: traceTicksNow())
                        }
                        if asynctop_take_dump_request() { try flight.dump(to: path, nowTicks: traceTicksNow()) }
                    } else {
                        try writer?.append(batch, names: source.names)
                    }
                }
                ended = reader.endReason
                let now = TraceClock.monotonicNanoseconds()
                if asynctop_stop_requested() { ended = ended ?? "interrupted" }
                if let deadline, now >= deadline { ended = ended ?? "duration reached" }
                if now - lastProgress > (interactive ? 500_000_000 : 5_000_000_000) {
                    lastProgress = now
                    progress(final: false)
                }
                if ended == nil {
                    let wake = min(now + reader.readIntervalNanoseconds, deadline ?? .max)
                    if wake > now { usleep(UInt32(min(wake - now, 50_000_000) / 1_000)) }
                }
            }
            writer?.recordSpan(startTicks: startTicks, endTicks: traceTicksNow())
            try writer?.finish()
            try flight?.dump(to: path, nowTicks: traceTicksNow())
        } catch {
            throw CommandFailure(message: String(describing: error))
        }
        progress(final: true)
        // A flight recording says how many windows it kept: each warning saved one, and the exit another (they
        // merge where they overlap).
        let windows = flight.map { "; \($0.windowCount) window\($0.windowCount == 1 ? "" : "s") in the file" } ?? ""
        printToStandardError("stopped: \(ended ?? "")\(windows)")
    }
}

/// "10s", "500ms", "2m", "1.5s" → nanoseconds.
func parseDuration(_ text: String) -> UInt64? {
    let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("s", 1e9), ("m", 60e9)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        guard let value = Double(text.dropLast(suffix.count)), value > 0 else { return nil }
        return UInt64(value * scale)
    }
    return Double(text).flatMap { $0 > 0 ? UInt64($0 * 1e9) : nil }
}
