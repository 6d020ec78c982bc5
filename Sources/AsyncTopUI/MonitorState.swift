import AsyncTopModel

/// The views, numbered as their keys.
public enum ViewID: Int, CaseIterable, Sendable {
    case overview = 1
    case tasks, taskDetail, timers, callbacks, warnings

    public var title: String {
        switch self {
        case .overview: return "Overview"
        case .tasks: return "Tasks"
        case .taskDetail: return "Task"
        case .timers: return "Timers"
        case .callbacks: return "Callbacks"
        case .warnings: return "Warnings"
        }
    }
}

/// Columns of the tasks table, in display order; any can be the sort key.
public enum TaskColumn: Int, CaseIterable, Sendable {
    case id, name, state, polls, busy, scheduled, idle, total, site

    public var title: String {
        switch self {
        case .id: return "ID"
        case .name: return "NAME"
        case .state: return "STATE"
        case .polls: return "POLLS"
        case .busy: return "BUSY"
        case .scheduled: return "SCHED"
        case .idle: return "IDLE"
        case .total: return "TOTAL"
        case .site: return "SPAWNED AT"
        }
    }
}

/// A narrative shown in a caption panel (the demos use it).
public struct Caption: Sendable {
    public var title: String
    public var lines: [String]
    public init(title: String, lines: [String]) {
        self.title = title
        self.lines = lines
    }
}

/// Everything about the monitor's screen that is not the runtime's state: which view, what is selected,
/// sorting, filtering, freezing, overlays. Pure data; `Keymap` changes it, `Screen` draws it.
public struct MonitorState: Sendable {
    public var view: ViewID = .overview
    /// The view before the task detail, for Esc.
    public var previousView: ViewID = .tasks
    public var selectedRow: [ViewID: Int] = [:]
    /// What the selected row of each list is (`ListDrawing.Line.key`), recorded by the last draw: a list whose rows
    /// all come at once (warnings, timers, call sites) keeps the selection on it when rows arrive above it.
    var selectedKey: [ViewID: ListDrawing.RowKey] = [:]
    public var taskSort: TaskColumn = .id
    public var sortDescending = false
    public var taskFilter = ""
    /// The filter being typed after `/`, or nil when not typing.
    public var filterDraft: String?
    public var treeMode = false
    /// The warning groups opened (`e`) in the warnings view.
    var expandedWarningGroups: Set<WarningGroup.Key> = []
    public var detailTaskID: UInt64?
    /// The state shown while frozen (space): ingestion goes on underneath.
    public var frozen: RuntimeState?
    public var showHelp = false
    /// How long an ended task stays listed (the model's retention): the tasks view says so.
    public var retentionNanoseconds: UInt64 = 10_000_000_000
    /// The first key the help shows, when the window is too small for all (↑ ↓ scroll it), clamped by the draw.
    var helpScroll = 0
    public var caption: Caption?
    public var showCaption = true
    /// A line shown above the footer, e.g. when an attached process has exited.
    public var banner: String?
    /// Whether the banner is an alert (red) or information (a replay's position).
    public var bannerIsAlert = true
    /// Extra lines (a demo's step-mode report) shown in place of the caption while set.
    public var stepReport: [String]?
    /// What is being monitored, for the header.
    public var sourceLabel: String
    public var eventsPerSecond: Double = 0
    public var glyphs: Glyphs
    /// Extra keys the embedding app handles (e.g. `n` next demo), listed in the help overlay.
    public var extraKeys: [(key: String, help: String)] = []
    public var quitRequested = false
    /// Rows in the current view's list, recorded by the last draw, for moving the selection.
    public var rowCount = 0
    /// What the rows on screen point at, from row `firstShownRow` on, recorded by the last draw, for Enter.
    public var shownTargets: [Warning.Culprit?] = []
    public var firstShownRow = 0
    /// The task open in the task detail, or under a list's cursor, at the last draw: the model keeps it past its
    /// retention while it is (`MonitorFeed.keptTask`). Recorded by the draw, so that keys between two draws (Esc
    /// from the detail back to its list) do not let it go.
    public internal(set) var taskInHand: UInt64?
    /// A row to select on the next draw (after a jump from a warning).
    public var pendingFocus: Warning.Culprit?
    /// Rows of the current list that fit on screen, recorded by the last draw, for PgUp/PgDn.
    public var pageSize = 10

    public init(sourceLabel: String, glyphs: Glyphs = .unicode) {
        self.sourceLabel = sourceLabel
        self.glyphs = glyphs
    }

    public func selection(_ view: ViewID) -> Int { selectedRow[view] ?? 0 }

    /// What row `index` of the current list points at, if it was on screen at the last draw.
    public func target(ofRow index: Int) -> Warning.Culprit? {
        let offset = index - firstShownRow
        return shownTargets.indices.contains(offset) ? shownTargets[offset] : nil
    }

    /// Records that the current view shows no list.
    mutating func clearRows() {
        rowCount = 0
        shownTargets = []
        firstShownRow = 0
    }
}
