import AsyncTopModel
import AsyncTopTrace
import CAsyncTopSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Why the monitor could not start.
public enum MonitorError: Error, CustomStringConvertible {
    case notATerminal
    case terminalCannotDraw(term: String)

    public var description: String {
        switch self {
        case .notATerminal:
            return
                "asynctop's monitor needs a terminal on stdin and stdout; to capture a trace without one, use "
                + "`asynctop record`"
        case .terminalCannotDraw(let term):
            return
                "this terminal (TERM=\(TerminalSafeText.make(term))) cannot place text on the screen, which the "
                + "monitor needs; "
                + "run it in a terminal such as xterm or tmux, or use `asynctop record` and `asynctop stats`"
        }
    }
}

/// The monitor: asks its feed to catch up, draws at a steady rate on the terminal until `q`, Ctrl-C,
/// SIGINT or SIGTERM; the terminal is restored on every way out (a signal handler restores it on crashes
/// too). Reading runs as often as the feed asks (`MonitorFeed.readIntervalNanoseconds`: a live source's rings must
/// not overflow between reads); drawing runs at `refreshHz`.
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
    public private(set) var feed: any MonitorFeed
    /// Keys the embedding app handles before the monitor (return true if handled).
    public var onKey: ((Key, inout MonitorState) -> Bool)?
    /// Runs before each frame is drawn (captions, step reports). Return false to stop the monitor.
    public var beforeFrame: ((inout MonitorState) -> Bool)?
    public let options: Options

    public init(feed: any MonitorFeed, label: String, options: Options) {
        self.feed = feed
        self.options = options
        monitor = MonitorState(sourceLabel: label)
        monitor.retentionNanoseconds = options.retentionNanoseconds
    }

    /// A monitor on a live source.
    public convenience init(source: any Source, label: String, options: Options) {
        self.init(
            feed: LiveFeed(
                source: source, thresholds: options.thresholds, retentionNanoseconds: options.retentionNanoseconds),
            label: label, options: options)
    }

    /// Swaps the feed (the demo tour moves to the next demo), starting `monitor` — the screen state an
    /// `onKey` handler is given — from a clean screen.
    public func replaceFeed(_ feed: any MonitorFeed, label: String, resetting monitor: inout MonitorState) {
        self.feed = feed
        monitor.sourceLabel = label
        monitor.frozen = nil
        monitor.detailTaskID = nil
        monitor.selectedRow = [:]
        monitor.selectedKey = [:]
        monitor.stepReport = nil
        // A filter typed for one source's tasks means nothing for the next (the tour's next demo).
        monitor.taskFilter = ""
        monitor.filterDraft = nil
        if monitor.view == .taskDetail { monitor.view = .overview }
    }

    /// Checks for a terminal without touching it: an error here means nothing was written.
    public static func checkTerminal() throws(MonitorError) {
        guard isatty(0) == 1, isatty(1) == 1 else { throw .notATerminal }
        let term = getenv("TERM").map { String(cString: $0) } ?? ""
        // A terminal without cursor addressing (TERM=dumb, unset or unknown) would show a blank screen.
        guard TerminalCanvas.canAddress(term: term) else {
            throw .terminalCannotDraw(term: term.isEmpty ? "unset" : term)
        }
    }

    /// Runs until the user quits. Throws before touching the terminal if there is none.
    public func run() throws(MonitorError) {
        try Self.checkTerminal()
        let utf8 = TerminalCanvas.localeIsUTF8
        let ascii = options.ascii || !utf8
        monitor.glyphs = ascii ? .ascii : .unicode
        var canvas = TerminalCanvas(color: options.color, asciiOnly: ascii)
        defer { canvas.stop() }
        let frameNanoseconds = UInt64(1e9 / max(0.5, min(options.refreshHz, 60)))
        var nextFrame = TraceClock.monotonicNanoseconds()
        var rateWindow: [(time: UInt64, events: UInt64)] = []
        var nextTrim = nextFrame + Self.trimIntervalNanoseconds
        while !monitor.quitRequested, !TerminalCanvas.quitRequested {
            let now = TraceClock.monotonicNanoseconds()
            if now >= nextTrim {
                Self.returnFreedMemory()
                nextTrim = now + Self.trimIntervalNanoseconds
            }
            let frameDue = now >= nextFrame
            feed.keptTask = monitor.taskInHand
            feed.update(wallNanoseconds: now, final: frameDue)
            if frameDue {
                nextFrame = max(nextFrame + frameNanoseconds, now)
                // Over the last second of trace time, as the loops' rates are: a replay paused, seeking or played
                // fast says the trace's rate, not how fast it is being read.
                let traceNow = feed.state.nowNanoseconds
                let events = feed.state.totals.events
                if let last = rateWindow.last, traceNow < last.time || events < last.events { rateWindow.removeAll() }
                if rateWindow.last?.time != traceNow { rateWindow.append((traceNow, events)) }
                while let first = rateWindow.first, traceNow - first.time > 1_000_000_000 { rateWindow.removeFirst() }
                if let first = rateWindow.first, traceNow > first.time {
                    monitor.eventsPerSecond =
                        Double(events - min(events, first.events)) / (Double(traceNow - first.time) / 1e9)
                }
                if let beforeFrame, !beforeFrame(&monitor) { break }
                draw(&canvas)
            }
            let wait = feed.nanosecondsUntilUpdate(frameDueAt: nextFrame, now: TraceClock.monotonicNanoseconds())
            if let key = canvas.readKey(timeoutMilliseconds: max(1, Int(wait / 1_000_000))) {
                handle(key, canvas: &canvas)
            }
        }
    }

    static let trimIntervalNanoseconds: UInt64 = 10_000_000_000

    /// Gives the pages malloc holds free back to the system, every `trimIntervalNanoseconds`, between frames. A
    /// monitor left on for hours frees and allocates text every frame, and glibc keeps the freed pages: measured
    /// (`asynctop-bench soak`), its own memory crept up 0.4 MB in 25 minutes with the heap itself flat. Costs a walk
    /// of malloc's free lists (under its lock), a fraction of a millisecond for the monitor's few MB.
    private static func returnFreedMemory() {
        _ = malloc_trim(0)
    }

    private func draw(_ canvas: inout TerminalCanvas) {
        canvas.updateSize()
        let status = feed.status(width: canvas.columns - 2, glyphs: monitor.glyphs)
        monitor.banner = status?.text
        monitor.bannerIsAlert = status?.alert ?? false
        monitor.extraKeys = feed.keys + appKeys
        Screen.draw(feed.state, &monitor, on: &canvas)
        canvas.present()
    }

    /// Keys the embedding app declares for help (set with `onKey`).
    public var appKeys: [(key: String, help: String)] = []

    private func handle(_ key: Key, canvas: inout TerminalCanvas) {
        if key == .hangup {
            monitor.quitRequested = true
            return
        }
        let typing = monitor.filterDraft != nil || monitor.showHelp
        if key == .resize {
            canvas.updateSize()
        } else if !typing, let onKey, onKey(key, &monitor) {
            // handled by the app
        } else if !typing, feed.handle(key, &monitor) {
            // handled by the feed
        } else if !Keymap.handle(key, &monitor, runtime: feed.state) {
            return
        }
        draw(&canvas)
    }
}
