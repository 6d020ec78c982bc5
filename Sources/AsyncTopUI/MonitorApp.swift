import AsyncTopModel
import AsyncTopTrace

#if canImport(Glibc)
import Glibc
#endif

/// Why the monitor could not start.
public enum MonitorError: Error, CustomStringConvertible {
    case notATerminal

    public var description: String {
        switch self {
        case .notATerminal:
            return "asynctop's monitor needs a terminal on stdin and stdout; to capture a trace without one, use `asynctop record`"
        }
    }
}

/// The live monitor: reads a source without ever blocking its producer, aggregates, and draws at a steady
/// rate on the terminal until `q`, Ctrl-C, SIGINT or SIGTERM; the terminal is restored on every way out
/// (a signal handler restores it on crashes too).
///
/// Reading runs every `readInterval` (20 ms, so rings of 64 Ki events keep up with a loop emitting over
/// 3M events/s); drawing runs at `refreshHz`.
public final class MonitorApp {
    public struct Options: Sendable {
        public var refreshHz: Double = 10
        public var thresholds = WarningThresholds()
        public var retentionNanoseconds: UInt64 = 10_000_000_000
        public var ascii = false
        public var color = true
        public init() {}
    }

    public var monitor: MonitorState
    /// Keys the embedding app handles before the monitor (return true if handled).
    public var onKey: ((Key, inout MonitorState) -> Bool)?
    /// Runs before each frame is drawn (captions, step reports). Return false to stop the monitor.
    public var beforeFrame: ((inout MonitorState) -> Bool)?
    public private(set) var aggregator: Aggregator
    private var source: any Source
    private let options: Options
    static let readIntervalMilliseconds = 20

    public init(source: any Source, label: String, options: Options) {
        self.source = source
        self.options = options
        aggregator = Aggregator(
            calibration: source.info.calibration, thresholds: options.thresholds,
            retentionNanoseconds: options.retentionNanoseconds)
        monitor = MonitorState(sourceLabel: label)
    }

    /// Swaps the source (the demo tour moves to the next demo), starting a fresh aggregate.
    public func replaceSource(_ source: any Source, label: String) {
        self.source = source
        aggregator = Aggregator(
            calibration: source.info.calibration, thresholds: options.thresholds,
            retentionNanoseconds: options.retentionNanoseconds)
        monitor.sourceLabel = label
        monitor.frozen = nil
        monitor.banner = nil
        monitor.detailTaskID = nil
        monitor.selectedRow = [:]
        if monitor.view == .taskDetail { monitor.view = .overview }
        sourceEnded = false
    }

    private var sourceEnded = false
    private var batch = EventBatch()

    /// Checks for a terminal without touching it: an error here means nothing was written.
    public static func checkTerminal() throws(MonitorError) {
        guard isatty(0) == 1, isatty(1) == 1 else { throw .notATerminal }
    }

    /// Runs until the user quits. Throws before touching the terminal if there is none.
    public func run() throws(MonitorError) {
        try Self.checkTerminal()
        let utf8 = TerminalCanvas.localeIsUTF8
        monitor.glyphs = options.ascii || !utf8 ? .ascii : .unicode
        var canvas = TerminalCanvas(color: options.color)
        defer { canvas.stop() }
        let frameNanoseconds = UInt64(1e9 / max(0.5, min(options.refreshHz, 60)))
        var nextFrame = TraceClock.monotonicNanoseconds()
        var rateWindow: [(time: UInt64, events: UInt64)] = []
        while !monitor.quitRequested, !TerminalCanvas.quitRequested {
            ingestAvailable()
            let now = TraceClock.monotonicNanoseconds()
            if now >= nextFrame {
                nextFrame = max(nextFrame + frameNanoseconds, now)
                aggregator.advance(to: traceNow())
                rateWindow.append((now, aggregator.state.totals.events))
                while let first = rateWindow.first, now - first.time > 1_000_000_000 { rateWindow.removeFirst() }
                if let first = rateWindow.first, now > first.time {
                    monitor.eventsPerSecond = Double(aggregator.state.totals.events - first.events) / (Double(now - first.time) / 1e9)
                }
                if let beforeFrame, !beforeFrame(&monitor) { break }
                canvas.updateSize()
                Screen.draw(aggregator.state, &monitor, on: &canvas)
                canvas.present()
            }
            let untilFrame = Int((nextFrame - min(nextFrame, TraceClock.monotonicNanoseconds())) / 1_000_000)
            if let key = canvas.readKey(timeoutMilliseconds: max(1, min(untilFrame, Self.readIntervalMilliseconds))) {
                handle(key, canvas: &canvas)
            }
        }
    }

    private func handle(_ key: Key, canvas: inout TerminalCanvas) {
        if key == .resize {
            canvas.updateSize()
        } else if let onKey, monitor.filterDraft == nil, !monitor.showHelp, onKey(key, &monitor) {
            // handled by the app
        } else if !Keymap.handle(key, &monitor, runtime: aggregator.state) {
            return
        }
        Screen.draw(aggregator.state, &monitor, on: &canvas)
        canvas.present()
    }

    /// Reads what the source has, without waiting.
    private func ingestAvailable() {
        guard !sourceEnded else { return }
        batch.removeAll()
        let status = source.read(into: &batch, limit: 1 << 20)
        aggregator.ingest(batch, names: source.names)
        if case .ended(let reason) = status {
            batch.removeAll()
            _ = source.read(into: &batch, limit: .max)
            aggregator.ingest(batch, names: source.names)
            sourceEnded = true
            monitor.banner = TerminalSafeText.make(reason) + " — showing its last state (q quits)"
        }
    }

    /// The trace time now, for a live source on this machine (its clock and ours are the same clock).
    private func traceNow() -> UInt64 {
        guard !sourceEnded else { return aggregator.state.nowNanoseconds }
        let calibration = source.info.calibration
        return calibration.nanoseconds(TraceClock.now(of: calibration.kind) &- calibration.epochTicks)
    }
}
