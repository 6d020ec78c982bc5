import AsyncTopModel

/// Draws one frame: header bar, view tabs, the current view, caption or banner, footer, overlays.
/// Pure apart from the canvas and the monitor's record of what it drew (rows for Enter, page size).
public enum Screen {
    public static let minimumRows = 12
    public static let minimumColumns = 40

    /// Where a view may draw.
    public struct Area: Sendable {
        public var top: Int
        public var height: Int
        public var width: Int
    }

    public static func draw(_ live: RuntimeState, _ monitor: inout MonitorState, on canvas: inout some Canvas) {
        canvas.clear()
        guard canvas.rows >= minimumRows, canvas.columns >= minimumColumns else {
            let message = "asynctop needs \(minimumColumns)x\(minimumRows); this is \(canvas.columns)x\(canvas.rows)"
            canvas.put(row: 0, column: 0, TextWidth.truncate(message, to: canvas.columns), style: .warning)
            return
        }
        let runtime = monitor.frozen ?? live
        drawHeader(live, monitor, on: &canvas)
        drawTabs(monitor, on: &canvas)
        var bottom = canvas.rows - 1
        let panel = bottomPanel(monitor, width: canvas.columns)
        if !panel.isEmpty {
            // Up to half the rows under the tabs; a panel cut short says so on its last line.
            let height = min(panel.count, (canvas.rows - 4) / 2)
            bottom -= height
            var shown = Array(panel.prefix(height))
            if panel.count > height, let last = shown.indices.last {
                shown[last] = ("   … \(panel.count - height + 1) more lines in a bigger window", .dim)
            }
            for (index, line) in shown.enumerated() {
                canvas.put(
                    row: bottom + index, column: 0,
                    TextWidth.pad(TextWidth.fitWords(line.text, to: canvas.columns), to: canvas.columns),
                    style: line.style)
            }
        }
        let area = Area(top: 2, height: bottom - 2, width: canvas.columns)
        monitor.taskInHand = nil  // the list or the task detail records it
        switch monitor.view {
        case .overview: OverviewView.draw(runtime, &monitor, on: &canvas, area: area)
        case .tasks: TasksView.draw(runtime, &monitor, on: &canvas, area: area)
        case .taskDetail: TaskDetailView.draw(runtime, &monitor, on: &canvas, area: area)
        case .timers: TimersView.draw(runtime, &monitor, on: &canvas, area: area)
        case .callbacks: CallbacksView.draw(runtime, &monitor, on: &canvas, area: area)
        case .warnings: WarningsView.draw(runtime, &monitor, on: &canvas, area: area)
        }
        drawFooter(monitor, on: &canvas)
        if monitor.showHelp { drawHelp(&monitor, on: &canvas) }
    }

    private static func drawHeader(_ runtime: RuntimeState, _ monitor: MonitorState, on canvas: inout some Canvas) {
        canvas.fillRow(0, style: .header)
        let missed = runtime.totals.missed
        let warnings = runtime.totals.warnings
        let narrow = canvas.columns < 80
        // Parts are kept whole: when they do not all fit, the source label goes first, then the rate, then the time
        // (a cut figure would read as another number: "warn 30" cut to "warn 3").
        var parts: [(text: String, style: Style, dropOrder: Int)] = [
            (" asynctop ", Style(color: .header, bold: true), 0),
            (
                narrow ? "" : TextWidth.truncate(monitor.sourceLabel, to: max(8, canvas.columns / 3)) + "  ", .header,
                3
            ),
            (Format.clock(runtime.elapsedNanoseconds) + "  ", .header, 2),
            // Over the last second (the loops' rates are over their window, which they state). As wide as its widest
            // figure, so that it does not come and go at a narrow width as its digits change.
            (
                TextWidth.pad(
                    Format.count(monitor.eventsPerSecond) + (narrow ? " ev/s" : " ev/s (1s)"), to: narrow ? 11 : 16)
                    + "  ", .header, 1
            ),
            ((narrow ? "miss " : "missed ") + Format.count(Double(missed)), missed > 0 ? .warning : .header, 0),
            ("  ", .header, 0),
            (
                (narrow ? "warn " : "warnings ") + String(warnings),
                warnings > 0 ? Style(color: .yellow, bold: true, reverse: true) : .header, 0
            )
        ]
        if monitor.frozen != nil { parts.append(("  FROZEN", Style(color: .header, bold: true), 0)) }
        for order in [3, 1, 2] where parts.reduce(0, { $0 + TextWidth.of($1.text) }) > canvas.columns {
            parts.removeAll { $0.dropOrder == order }
        }
        var column = 0
        for part in parts where !part.text.isEmpty {
            guard column < canvas.columns else { break }
            canvas.put(row: 0, column: column, part.text, style: part.style)
            column += TextWidth.of(part.text)
        }
    }

    private static func drawTabs(_ monitor: MonitorState, on canvas: inout some Canvas) {
        let views = ViewID.allCases.filter { $0 != .taskDetail || monitor.detailTaskID != nil }
        let full = views.map { " \($0.rawValue) \($0.title) " }
        let fits = full.reduce(0) { $0 + TextWidth.of($1) + 1 } <= canvas.columns
        var column = 0
        for (view, label) in zip(views, full) {
            // When all titles do not fit, only the current view keeps its title.
            let text = fits || view == monitor.view ? label : " \(view.rawValue) "
            canvas.put(row: 1, column: column, text, style: view == monitor.view ? .selected : .plain)
            column += TextWidth.of(text) + 1
        }
    }

    private static func bottomPanel(_ monitor: MonitorState, width: Int) -> [(text: String, style: Style)] {
        var lines: [(String, Style)] = []
        if let banner = monitor.banner { lines.append((" " + banner, monitor.bannerIsAlert ? .warning : .accent)) }
        if let report = monitor.stepReport {
            // Wrapped: at 40 columns "Esc resumes" was cut off the first line.
            let title = Style(color: .yellow, bold: true)
            lines += wrap("STEP  " + (report.first ?? ""), width: width - 3).enumerated().map {
                ($0.offset == 0 ? " " + $0.element : "   " + $0.element, title)
            }
            lines += report.dropFirst().flatMap { wrap($0, width: width - 3) }.map { ("   " + $0, .plain) }
        } else if monitor.showCaption, let caption = monitor.caption {
            // The title wraps like the prose: a narrow window cut it at its right edge.
            let title = Style(color: .cyan, bold: true)
            var titleLines = wrap(caption.title, width: width - 3)
            let hint = "   (c hides)"
            if let last = titleLines.last, TextWidth.of(last + hint) <= width - 3 {
                titleLines[titleLines.count - 1] = last + hint
            } else {
                titleLines.append(String(hint.dropFirst(2)))
            }
            lines += titleLines.enumerated().map { ($0.offset == 0 ? " " + $0.element : "   " + $0.element, title) }
            for line in caption.lines { lines += wrap(line, width: width - 3).map { ("   " + $0, .plain) } }
        }
        return lines
    }

    /// Splits text into lines of at most `width` columns at spaces.
    static func wrap(_ text: String, width: Int) -> [String] {
        // A line that fits stays as it is (its runs of spaces align columns: the step panel's queues).
        guard width > 4, TextWidth.of(text) > width else { return [text] }
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if TextWidth.of(candidate) > width, !current.isEmpty {
                lines.append(current)
                current = String(word)
            } else {
                current = candidate
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    private static func drawFooter(_ monitor: MonitorState, on canvas: inout some Canvas) {
        let row = canvas.rows - 1
        if let draft = monitor.filterDraft {
            canvas.fillRow(row, "/" + draft + "_   (Enter keeps, Esc cancels; state:ready, name:...)", style: .accent)
            return
        }
        // A feed's own keys replace the monitor's (replay's space plays and pauses; it does not freeze). Hints are
        // kept whole, in this order, while they fit; `? help` lists every key.
        // In step mode its keys come first: a narrow footer kept "q quit" and lost how to resume.
        var hints = ["q quit", "? help", "1-6 views"]
        if !monitor.extraKeys.contains(where: { $0.key == "space" }) { hints.append("space freeze") }
        if monitor.view == .tasks { hints += ["/ filter", "t tree", "←→ sort", "i invert"] }
        if monitor.view == .warnings { hints.append("e open group") }
        let extra = monitor.extraKeys.map { "\($0.key) \($0.help)" }
        hints = monitor.stepReport != nil ? extra + hints : hints + extra
        // The filter applies to the tasks view: only there does the footer say it is on.
        if !monitor.taskFilter.isEmpty, monitor.view == .tasks { hints.insert("filter: \(monitor.taskFilter)", at: 0) }
        canvas.fillRow(row, " " + TextWidth.fitParts(hints, separator: "  ", to: canvas.columns - 1), style: .dim)
    }

    /// The help box over the view: each key with what it does, wrapped. A window too small for every line shows a
    /// part, which ↑ ↓ (PgUp PgDn) scroll, and says how many lines are above and below it.
    private static func drawHelp(_ monitor: inout MonitorState, on canvas: inout some Canvas) {
        let overridden = Set(monitor.extraKeys.map(\.key))
        let entries = Keymap.help.filter { !overridden.contains($0.key) } + monitor.extraKeys
        // The whole width of a narrow window, so that nothing of the view behind shows at its sides.
        let width = canvas.columns < 66 ? canvas.columns : 64
        let lines = entries.flatMap { entry in
            wrap(entry.help, width: width - 15).enumerated().map { index, part in
                " " + TextWidth.pad(index == 0 ? entry.key : "", to: 12) + " "
                    + TextWidth.fitWords(part, to: width - 15)
            }
        }
        let height = min(canvas.rows - 2, lines.count + 3)
        let left = (canvas.columns - width) / 2
        let top = max(1, (canvas.rows - height) / 2)
        // The box's rows are cleared across the window: bits of the caption beside it read as part of the help.
        for row in top..<min(canvas.rows - 1, top + height) { canvas.fillRow(row, style: .plain) }
        let fits = lines.count <= height - 2
        let title = fits ? " Keys  (any key closes)" : " Keys  (↑↓ scroll, other keys close)"
        canvas.put(
            row: top, column: left, TextWidth.pad(TextWidth.fitWords(title, to: width), to: width), style: .header)
        // Too small: the last line says where the part shown is.
        let shown = fits ? lines.count : max(0, height - 3)
        monitor.helpScroll = max(0, min(monitor.helpScroll, lines.count - shown))
        let first = monitor.helpScroll
        for (index, line) in lines[first..<(first + shown)].enumerated() {
            canvas.put(row: top + 1 + index, column: left, TextWidth.pad(line, to: width), style: .selected)
        }
        if !fits {
            let below = lines.count - first - shown
            let place =
                " \(first > 0 ? "↑ \(first) above" : "")\(first > 0 && below > 0 ? ", " : "")"
                + "\(below > 0 ? "↓ \(below) more" : "")"
            canvas.put(
                row: top + 1 + shown, column: left, TextWidth.pad(TextWidth.fitWords(place, to: width), to: width),
                style: .selected)
        }
        canvas.put(row: top + height - 1, column: left, TextWidth.pad("", to: width), style: .selected)
    }
}
