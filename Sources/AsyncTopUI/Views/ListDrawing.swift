import AsyncTopModel

/// Draws a scrolling list with a header row and a selected row, and records in the monitor what each row
/// points at (for Enter) and how many rows fit (for paging). Shared by every list view.
enum ListDrawing {
    struct Line {
        var text: String
        var style: Style = .plain
        var target: Warning.Culprit?
        /// What the row is, when its target does not say (many warnings name one loop), so that the selection
        /// stays on it as rows come and go above it.
        var identity: RowKey?

        var key: RowKey? { identity ?? target.map(RowKey.target) }
    }

    /// A row's identity in its list.
    enum RowKey: Hashable, Sendable {
        case target(Warning.Culprit)
        case warningGroup(WarningGroup.Key)
        case warning(atNanoseconds: UInt64, group: WarningGroup.Key)
    }

    /// A dim line above a list saying what it holds (and what it leaves out), when the area has rows to spare;
    /// returns the area left for the list.
    static func summary(_ text: String, on canvas: inout some Canvas, area: Screen.Area) -> Screen.Area {
        guard area.height > 4 else { return area }
        canvas.put(row: area.top, column: 1, TextWidth.fitWords(text, to: area.width - 2), style: .dim)
        return Screen.Area(top: area.top + 1, height: area.height - 1, width: area.width)
    }

    /// `empty`: what an empty list says (what is not there, not "yet": a replay at its end has nothing to come).
    static func draw(
        header: String, lines: [Line], _ monitor: inout MonitorState, on canvas: inout some Canvas, top: Int,
        height: Int, width: Int, empty: String
    ) {
        if let focus = monitor.pendingFocus, let index = lines.firstIndex(where: { $0.target == focus }) {
            monitor.selectedRow[monitor.view] = index
            monitor.pendingFocus = nil
        } else if let kept = monitor.selectedKey[monitor.view], let index = lines.firstIndex(where: { $0.key == kept })
        {
            // The selection follows its row, not the row's place, as new rows arrive above it.
            monitor.selectedRow[monitor.view] = index
        }
        draw(
            header: header, count: lines.count, line: { lines[$0] }, &monitor, on: &canvas, top: top, height: height,
            width: width, empty: empty)
    }

    /// How many rows fit under the header, and the first of the rows to show (so the selection is on screen).
    static func window(height: Int, count: Int, selected: Int) -> (visible: Int, first: Int) {
        let visible = max(1, height - 1)
        let selected = min(selected, max(0, count - 1))
        return (visible, selected < visible ? 0 : selected - visible + 1)
    }

    /// Draws a list of `count` rows, asking `line` only for the rows on screen: a list of 100 000 tasks costs
    /// what its visible rows cost.
    static func draw(
        header: String, count: Int, line: (Int) -> Line, _ monitor: inout MonitorState, on canvas: inout some Canvas,
        top: Int, height: Int, width: Int, empty: String
    ) {
        canvas.put(row: top, column: 0, TextWidth.pad(header, to: width), style: Style(bold: true, underline: true))
        let view = monitor.view
        let selected = min(monitor.selection(view), max(0, count - 1))
        // Where a list longer than its rows says which row is selected ("12/400"): at the header's right end when
        // it fits there without covering a column's title, else on a line of its own under the rows.
        let position = "\(selected + 1)/\(count)"
        let scrolls = count > max(1, height - 1)
        let headerText = TextWidth.of(String(header.reversed().drop { $0 == " " }.reversed()))
        let positionOnHeader = headerText + 2 + TextWidth.of(position) + 1 <= width
        let rowsHeight = scrolls && !positionOnHeader && height > 2 ? height - 1 : height
        let (visible, first) = window(height: rowsHeight, count: count, selected: selected)
        monitor.pageSize = visible
        monitor.selectedRow[view] = selected
        monitor.rowCount = count
        monitor.firstShownRow = first
        monitor.shownTargets = []
        for index in first..<min(count, first + visible) {
            let line = line(index)
            monitor.shownTargets.append(line.target)
            if index == selected {
                monitor.selectedKey[view] = line.key
                if case .task(let id) = line.target { monitor.taskInHand = id }
            }
            let style =
                index == selected ? Style(color: line.style.color, bold: line.style.bold, reverse: true) : line.style
            canvas.put(row: top + 1 + index - first, column: 0, TextWidth.pad(line.text, to: width), style: style)
        }
        if count == 0 {
            canvas.put(row: top + 1, column: 1, TextWidth.truncate(empty, to: width - 2), style: .dim)
        } else if scrolls {
            let row = rowsHeight < height ? top + height - 1 : top
            canvas.put(
                row: row, column: max(0, width - TextWidth.of(position) - 1), position,
                style: row == top ? Style(bold: true, underline: true) : .dim)
        }
    }

    /// Columns laid out left to right; the flexible one takes what is left. Columns are dropped from the
    /// end of `optional` order when the width is too small.
    struct Column {
        var title: String
        var width: Int
        var alignRight = false
        var flexible = false
        var priority = 0
    }

    /// The widths to use for `columns` in `width` (0 = dropped).
    static func layout(_ columns: [Column], width: Int) -> [Int] {
        var kept = columns.map { _ in true }
        func used() -> Int {
            zip(columns, kept).reduce(0) { $0 + ($1.1 ? ($1.0.flexible ? max($1.0.width, 8) : $1.0.width) + 1 : 0) }
        }
        let byPriority = columns.indices.sorted { columns[$0].priority > columns[$1].priority }
        for index in byPriority where used() > width && columns[index].priority > 0 { kept[index] = false }
        let fixed = zip(columns, kept).reduce(0) { $0 + ($1.1 && !$1.0.flexible ? $1.0.width + 1 : 0) }
        // Flexible columns share what is left in proportion to their widths (a warning's text gets more than its
        // subject), at least 8 each.
        let flexible = zip(columns, kept).filter { $0.1 && $0.0.flexible }.map(\.0)
        let flexTotal = max(1, flexible.reduce(0) { $0 + $1.width })
        let room = width - fixed - flexible.count
        return columns.indices.map { index in
            guard kept[index] else { return 0 }
            guard columns[index].flexible else { return columns[index].width }
            return max(8, room * columns[index].width / flexTotal)
        }
    }

    /// One row of cells in a layout. A source location too wide for its column loses its directories, then its
    /// extension, then its start, so that the file and the line stay visible.
    static func row(_ cells: [String], _ columns: [Column], widths: [Int]) -> String {
        var text = ""
        for (index, whole) in cells.enumerated() where widths[index] > 0 {
            // What tells a cell apart stays whole: a location's file and line, a figure with its unit.
            let cell =
                TextWidth.isSourceLocation(whole)
                ? TextWidth.fitLocation(whole, to: widths[index]) : TextWidth.fitWords(whole, to: widths[index])
            let fitted =
                columns[index].alignRight
                ? TextWidth.padLeft(cell, to: widths[index]) : TextWidth.pad(cell, to: widths[index])
            text += fitted + " "
        }
        return text
    }
}
