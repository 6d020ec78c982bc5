import AsyncTopModel
import AsyncTopTrace

/// Where the monitor's state comes from: a live source (`LiveFeed`) or a recording (`ReplayFeed`). The app
/// loop asks the feed to catch up, draws its state, and offers it keys first.
public protocol MonitorFeed: AnyObject {
    /// The aggregate to draw.
    var state: RuntimeState { get }
    /// Brings the state up to date; `final` is true on the frame about to be drawn (time-based rules run then).
    func update(wallNanoseconds: UInt64, final: Bool)
    /// How long the app may wait before the next `update` between frames; `UInt64.max` when only frames need
    /// one.
    var readIntervalNanoseconds: UInt64 { get }
    /// Keys of the feed (replay transport); true if handled.
    func handle(_ key: Key, _ monitor: inout MonitorState) -> Bool
    /// A line for the status panel (a replay's position bar; an alert when a live source ended), if any.
    func status(width: Int, glyphs: Glyphs) -> (text: String, alert: Bool)?
    /// Keys the feed adds to the help overlay and footer.
    var keys: [(key: String, help: String)] { get }
}

extension MonitorFeed {
    /// How long the app may sleep before its next `update`: until the next frame is due, or until the feed's
    /// next read if that comes first.
    public func nanosecondsUntilUpdate(frameDueAt nextFrame: UInt64, now: UInt64) -> UInt64 {
        min(nextFrame - min(nextFrame, now), readIntervalNanoseconds)
    }
}

/// A live source: reads whatever is new without waiting (so the traced program never waits for the
/// monitor) and keeps trace time moving with the wall clock between events.
public final class LiveFeed: MonitorFeed {
    public private(set) var aggregator: Aggregator
    public let source: any Source
    private var batch = EventBatch()
    private var endReason: String?

    public init(source: any Source, thresholds: WarningThresholds, retentionNanoseconds: UInt64) {
        self.source = source
        aggregator = Aggregator(calibration: source.info.calibration, thresholds: thresholds, retentionNanoseconds: retentionNanoseconds)
    }

    public var state: RuntimeState { aggregator.state }
    public var keys: [(key: String, help: String)] { [] }

    /// Events read and ingested at a time: 2 048 events (64 KiB) are still in the core's L2 cache when the
    /// aggregator reads them, where everything new at once (60 000 events, 1.9 MiB, after 50 ms of a loop
    /// emitting 1.2M events/s) would go out to L3 and back (measured: 4.8 % of a core instead of 5.0 %).
    static let chunkEvents = 2_048
    /// Most events one update ingests, so that a flood cannot hold the frame back for long.
    static let updateEventLimit = 1 << 20
    static let readIntervalBounds: ClosedRange<UInt64> = 2_000_000...50_000_000

    /// The time the last update's event rate takes to fill half a ring, within 2–50 ms, growing by at most a
    /// quarter per update and shrinking at once: a busy source is read often enough that its rings do not
    /// overflow, a quiet one rarely (from quiet, a burst of up to 1.3M events/s fits a default ring of 128 Ki
    /// events). Waking costs the monitor more than the events it reads: at 1.2M events/s, reading every 50 ms
    /// instead of every 20 ms took it from 5.2 % to 4.4 % of a core. All rings' events count against one ring's
    /// capacity: an overestimate, on the safe side.
    public private(set) var readIntervalNanoseconds = LiveFeed.readIntervalBounds.lowerBound
    private var lastUpdateWallNanoseconds: UInt64?

    public func update(wallNanoseconds: UInt64, final: Bool) {
        if endReason == nil {
            var status = SourceStatus.live
            var produced = 0
            var more = true
            while more {
                batch.removeAll()
                status = source.read(into: &batch, limit: Self.chunkEvents)
                let missed = Int(clamping: batch.missed)
                produced += batch.events.count + missed
                // A chunk that was short only because events were lost to overwriting is not the end.
                // Events left out as older than an attaching reader's history count too: the read was not short.
                let full = batch.events.count + Int(clamping: batch.beforeReader) >= Self.chunkEvents || missed > 0
                more = status == .live && !batch.events.isEmpty && full && produced < Self.updateEventLimit
                // A full chunk left rings unread: the time-based rules wait for the rest.
                aggregator.ingest(batch, names: source.names, judging: !full)
            }
            adaptReadInterval(produced: produced, wallNanoseconds: wallNanoseconds)
            if case .ended(let reason) = status {
                batch.removeAll()
                _ = source.read(into: &batch, limit: .max)
                aggregator.ingest(batch, names: source.names)
                aggregator.producerEnded()
                endReason = reason
            }
        }
        if final, endReason == nil {
            let calibration = source.info.calibration
            aggregator.advance(to: calibration.nanoseconds(TraceClock.now(of: calibration.kind) &- calibration.epochTicks))
        }
    }

    /// `produced` counts the events read and those lost: what the source wrote since the last update.
    private func adaptReadInterval(produced: Int, wallNanoseconds: UInt64) {
        defer { lastUpdateWallNanoseconds = wallNanoseconds }
        guard let last = lastUpdateWallNanoseconds, wallNanoseconds > last else { return }
        let halfRing = Double(max(source.info.ringCapacity / 2, 1))
        let fillTime = Double(wallNanoseconds - last) * halfRing / Double(max(produced, 1))
        let bounds = Self.readIntervalBounds
        let grown = min(Double(readIntervalNanoseconds) * 1.25, Double(bounds.upperBound))
        readIntervalNanoseconds = max(UInt64(min(fillTime, grown)), bounds.lowerBound)
    }

    public func handle(_ key: Key, _ monitor: inout MonitorState) -> Bool { false }

    public func status(width: Int, glyphs: Glyphs) -> (text: String, alert: Bool)? {
        endReason.map { (TerminalSafeText.make($0) + " — showing its last state (q quits)", true) }
    }
}

/// A recording, played back in recorded time: space plays and pauses, `+`/`-` change the speed (×0.1 to ×100),
/// `[` `]` seek a second, `{` `}` ten, `w` jumps to the next warning; a position bar shows where we are.
public final class ReplayFeed: MonitorFeed {
    public let replay: TraceReplay
    public private(set) var playing = true
    public private(set) var speed = 1.0
    private var lastWall: UInt64?
    private var position: UInt64
    /// The warning `w` last went to (in `replay.warningMarks`), while nothing else moved the position.
    private var warningCursor: Int?
    static let speeds: [Double] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100]

    public init(replay: TraceReplay) {
        self.replay = replay
        position = replay.startNanoseconds
        replay.seek(to: position)
    }

    public var state: RuntimeState { replay.aggregator.state }
    /// A replay moves only when a frame is drawn.
    public var readIntervalNanoseconds: UInt64 { .max }

    public var keys: [(key: String, help: String)] {
        [("space", "play / pause"), ("+ -", "speed"), ("[ ]", "seek 1 s"), ("{ }", "seek 10 s"), ("w", "next warning")]
    }

    /// Moves the position by the wall time since the last frame × speed. Only frames (`final`) move it, and only
    /// they take the wall time: updates between frames must not swallow the time they saw.
    public func update(wallNanoseconds: UInt64, final: Bool) {
        guard final else { return }
        defer { lastWall = wallNanoseconds }
        guard playing, let last = lastWall else { return }
        warningCursor = nil
        let step = UInt64(Double(wallNanoseconds - min(wallNanoseconds, last)) * speed)
        position = min(position + step, replay.endNanoseconds)
        replay.seek(to: position)
        if position >= replay.endNanoseconds { playing = false }
    }

    private func seek(by delta: Int64) {
        warningCursor = nil
        position = UInt64(max(Int64(replay.startNanoseconds), min(Int64(replay.endNanoseconds), Int64(position) + delta)))
        replay.seek(to: position)
    }

    public func handle(_ key: Key, _ monitor: inout MonitorState) -> Bool {
        switch key {
        case .character(" "):
            playing.toggle()
            warningCursor = nil
            if playing, position >= replay.endNanoseconds { position = replay.startNanoseconds }
        case .character("+"), .character("="):
            speed = Self.speeds.first { $0 > speed } ?? speed
        case .character("-"):
            speed = Self.speeds.last { $0 < speed } ?? speed
        case .character("["): seek(by: -1_000_000_000)
        case .character("]"): seek(by: 1_000_000_000)
        case .character("{"): seek(by: -10_000_000_000)
        case .character("}"): seek(by: 10_000_000_000)
        case .character("w"):
            let marks = replay.warningMarks
            let next = warningCursor.map { $0 + 1 } ?? (marks.firstIndex { $0.atNanoseconds >= position } ?? marks.count)
            guard next < marks.count else { return true }
            warningCursor = next
            replay.seek(toWarning: next)
            position = replay.position
            playing = false
            monitor.view = .warnings
            // Select it: warning `next` of the trace is in the state's (bounded) list at its place from the end.
            let state = replay.aggregator.state
            let inList = next - (Int(state.totals.warnings) - state.warnings.count)
            if state.warnings.indices.contains(inList) {
                let target = state.warnings[inList]
                monitor.selectedRow[.warnings] = WarningsView.ordered(state).firstIndex(of: target) ?? 0
            }
        default:
            return false
        }
        return true
    }

    public func status(width: Int, glyphs: Glyphs) -> (text: String, alert: Bool)? {
        let span = max(1, replay.endNanoseconds - replay.startNanoseconds)
        let done = Double(position - min(position, replay.startNanoseconds)) / Double(span)
        let left = "\(playing ? "▶" : "⏸") ×\(Format.decimal(speed, digits: speed < 1 ? 2 : 0)) "
        let right = " \(Format.clock(position - min(position, replay.startNanoseconds)))/\(Format.clock(span))"
        let barWidth = max(4, width - TextWidth.of(left) - TextWidth.of(right) - 2)
        let glyphLeft = glyphs.barFull == "#" ? (playing ? "> " : "||") + String(left.dropFirst()) : left
        return (glyphLeft + glyphs.bar(done, width: barWidth) + right, false)
    }
}
