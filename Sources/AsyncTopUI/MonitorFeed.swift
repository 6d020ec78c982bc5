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
    /// The task the user has under the cursor or open, kept past its retention (`Aggregator.keptTask`).
    var keptTask: UInt64? { get set }
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

/// A live source, read through `LiveIngest` (the model's one reading path); the feed adds the monitor's status line.
public final class LiveFeed: MonitorFeed {
    public let ingest: LiveIngest

    public init(source: any Source, thresholds: WarningThresholds, retentionNanoseconds: UInt64) {
        ingest = LiveIngest(source: source, thresholds: thresholds, retentionNanoseconds: retentionNanoseconds)
    }

    public var aggregator: Aggregator { ingest.aggregator }
    public var source: any Source { ingest.source }
    public var state: RuntimeState { ingest.state }
    public var keptTask: UInt64? {
        get { ingest.keptTask }
        set { ingest.keptTask = newValue }
    }
    public var keys: [(key: String, help: String)] { [] }
    public var readIntervalNanoseconds: UInt64 { ingest.readIntervalNanoseconds }

    public func update(wallNanoseconds: UInt64, final: Bool) {
        ingest.update(wallNanoseconds: wallNanoseconds, advancingClock: final)
    }

    public func handle(_ key: Key, _ monitor: inout MonitorState) -> Bool { false }

    public func status(width: Int, glyphs: Glyphs) -> (text: String, alert: Bool)? {
        ingest.endReason.map { (TerminalSafeText.make($0) + " — showing its last state (q quits)", true) }
    }
}

/// A recording, played back in recorded time: space plays and pauses, `+`/`-` change the speed (×0.1 to ×100),
/// `[` `]` seek a second, `{` `}` ten, `w` jumps to the next warning; a position bar shows where we are. Playing
/// skips a flight recording's gaps (stretches between the windows it kept).
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
    public var keptTask: UInt64? {
        get { replay.keptTask }
        set { replay.keptTask = newValue }
    }
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
        // A gap of a flight recording has nothing to show: playing goes on at the next window.
        if let gap = replay.gaps.first(where: { $0.lowerBound < position && position < $0.upperBound }) {
            position = gap.upperBound
        }
        replay.seek(to: position)
        if position >= replay.endNanoseconds { playing = false }
    }

    private func seek(by delta: Int64) {
        warningCursor = nil
        position = UInt64(
            max(Int64(replay.startNanoseconds), min(Int64(replay.endNanoseconds), Int64(position) + delta)))
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
            let next =
                warningCursor.map { $0 + 1 } ?? (marks.firstIndex { $0.atNanoseconds >= position } ?? marks.count)
            guard next < marks.count else { return true }
            warningCursor = next
            replay.seek(toWarning: next)
            position = replay.position
            playing = false
            monitor.view = .warnings
            // Select it, its group open: warning `next` of the trace is in the state's (bounded) list at its place
            // from the end.
            let state = replay.aggregator.state
            let inList = next - (Int(state.totals.warnings) - state.warnings.count)
            if state.warnings.indices.contains(inList) {
                let target = state.warnings[inList]
                let group = WarningGroup.Key(target)
                monitor.expandedWarningGroups.insert(group)
                let alone = state.warnings.lazy.filter { WarningGroup.Key($0) == group }.count == 1
                monitor.selectedKey[.warnings] =
                    alone ? .warningGroup(group) : .warning(atNanoseconds: target.atNanoseconds, group: group)
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
        let gaps = replay.gaps.count
        let right =
            " \(Format.clock(position - min(position, replay.startNanoseconds)))/\(Format.clock(span))"
            + (gaps > 0 ? " \(gaps) gap\(gaps == 1 ? "" : "s") skipped" : "")
            // Where `w` is: warnings at one moment are gone through one press each, the clock standing still.
            + (warningCursor.map { " warning \($0 + 1)/\(replay.warningMarks.count)" } ?? "")
        let barWidth = max(4, width - TextWidth.of(left) - TextWidth.of(right) - 2)
        let glyphLeft = glyphs.barFull == "#" ? (playing ? "> " : "||") + String(left.dropFirst()) : left
        return (glyphLeft + glyphs.bar(done, width: barWidth) + right, false)
    }
}
