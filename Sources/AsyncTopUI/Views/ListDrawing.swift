import AsyncTopModel

/// Draws a scrolling list with a header row and a selected row, and records in the monitor what each row
/// points at (for Enter) and how many rows fit (for paging). Shared by every list view.
enum ListDrawing {
    struct Line {
        var text: String
        var style: Style = .plain
        var target: Warning.Culprit?
    }

    static func draw(
        header: String, lines: [Line], _ monitor: inout MonitorState, on canvas: inout some Canvas, top: Int,
        height: Int, width: Int
    ) {
        canvas.put(row: top, column: 0, TextWidth.pad(header, to: width), style: Style(bold: true, underline: true))
        let visible = max(1, height - 1)
        monitor.pageSize = visible
        let view = monitor.view
        if let focus = monitor.pendingFocus, let index = lines.firstIndex(where: { $0.target == focus }) {
            monitor.selectedRow[view] = index
            monitor.pendingFocus = nil
        }
        let selected = min(monitor.selection(view), max(0, lines.count - 1))
        monitor.selectedRow[view] = selected
        monitor.visibleRows = lines.map(\.target)
        let first = selected < visible ? 0 : selected - visible + 1
        for (offset, line) in lines.dropFirst(first).prefix(visible).enumerated() {
            let index = first + offset
            let style = index == selected ? Style(color: line.style.color, bold: line.style.bold, reverse: true) : line.style
            canvas.put(row: top + 1 + offset, column: 0, TextWidth.pad(line.text, to: width), style: style)
        }
        if lines.isEmpty {
            canvas.put(row: top + 1, column: 1, "(nothing yet)", style: .dim)
        } else if lines.count > visible {
            let position = "\(selected + 1)/\(lines.count)"
            canvas.put(row: top, column: max(0, width - TextWidth.of(position) - 1), position, style: Style(bold: true, underline: true))
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
        let flexCount = zip(columns, kept).filter { $0.1 && $0.0.flexible }.count
        let flexWidth = flexCount > 0 ? max(8, (width - fixed) / flexCount - 1) : 0
        return columns.indices.map { kept[$0] ? (columns[$0].flexible ? flexWidth : columns[$0].width) : 0 }
    }

    /// One row of cells in a layout.
    static func row(_ cells: [String], _ columns: [Column], widths: [Int]) -> String {
        var text = ""
        for (index, cell) in cells.enumerated() where widths[index] > 0 {
            let fitted = columns[index].alignRight
                ? TextWidth.padLeft(cell, to: widths[index]) : TextWidth.pad(cell, to: widths[index])
            text += fitted + " "
        }
        return text
    }
}
