import AsyncTopModel
import AsyncTopTrace

/// View 5: callback call sites by total time (count, mean, max, failures), then the most recent slow
/// callbacks and each loop's queue depth.
enum CallbacksView {
    static let columns: [ListDrawing.Column] = [
        .init(title: "CALL SITE", width: 20, flexible: true),
        .init(title: "COUNT", width: 8, alignRight: true),
        .init(title: "TOTAL", width: 8, alignRight: true),
        .init(title: "MEAN", width: 8, alignRight: true, priority: 2),
        .init(title: "MAX", width: 8, alignRight: true),
        .init(title: "FAILED", width: 6, alignRight: true, priority: 1)
    ]

    static func draw(
        _ runtime: RuntimeState, _ monitor: inout MonitorState, on canvas: inout some Canvas, area: Screen.Area
    ) {
        // A short area is the table's alone: at 40x12 the slow callbacks left it one row.
        let slowHeight = area.height < 10 ? 0 : min(8, max(3, area.height / 3))
        let tableHeight = slowHeight == 0 ? area.height : area.height - slowHeight - 1
        let sites = runtime.callSites.sorted { ($0.totalNanoseconds, $0.site) > ($1.totalNanoseconds, $1.site) }
        let widths = ListDrawing.layout(columns, width: area.width)
        let lines = sites.map { site -> ListDrawing.Line in
            let cells = [
                site.site, String(site.count), Format.duration(site.totalNanoseconds),
                Format.duration(site.count == 0 ? 0 : site.totalNanoseconds / site.count),
                Format.duration(site.maxNanoseconds),
                String(site.failures)
            ]
            let style: Style = site.maxNanoseconds >= 10_000_000 || site.failures > 0 ? .warning : .plain
            return ListDrawing.Line(
                text: ListDrawing.row(cells, columns, widths: widths), style: style, target: .callSite(site.site))
        }
        ListDrawing.draw(
            header: ListDrawing.row(columns.map(\.title), columns, widths: widths), lines: lines, &monitor, on: &canvas,
            top: area.top, height: tableHeight, width: area.width, empty: "(no callback has run)")
        guard slowHeight > 0 else { return }
        var row = area.top + tableHeight + 1
        let depths = runtime.loops.values.sorted { $0.id < $1.id }.map {
            "\(ProducerKind.name(loop: $0.id)): \($0.callbackQueueDepth) queued"
        }
        // The queue depths go on the title line when they fit whole (the Overview shows them too); a cut figure
        // would mislead.
        let title = "recent slow callbacks (≥1ms)"
        let withDepths = title + "   queue depth " + depths.joined(separator: ", ")
        canvas.put(
            row: row - 1, column: 0,
            TextWidth.pad(TextWidth.of(withDepths) <= area.width ? withDepths : title, to: area.width),
            style: Style(bold: true, underline: true))
        let start = runtime.firstEventNanoseconds ?? 0
        for slow in runtime.slowCallbacks.reversed().prefix(slowHeight) {
            let figures =
                "at \(Format.clock(slow.atNanoseconds - min(slow.atNanoseconds, start), tenths: true))  "
                + "\(ProducerKind.name(loop: slow.loop))  \(Format.duration(slow.durationNanoseconds))  "
            // The call site takes what is left, cut so that its file and line stay visible.
            let room = max(0, area.width - 2 - TextWidth.of(figures))
            let site =
                TextWidth.isSourceLocation(slow.site)
                ? TextWidth.fitLocation(slow.site, to: room) : TextWidth.truncate(slow.site, to: room)
            canvas.put(
                row: row, column: 1, TextWidth.truncate(figures + site, to: area.width - 2),
                style: slow.durationNanoseconds >= 10_000_000 ? .warning : .plain)
            row += 1
        }
    }
}
