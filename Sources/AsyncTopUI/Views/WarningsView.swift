import AsyncTopModel
import AsyncTopTrace

/// View 6: the warnings grouped by kind, place (a loop, or the pool) and subject (`WarningGroup`), the group with the
/// newest warning first, each with its count (×N), its latest time and its worst warning; `e` opens a group to list
/// its warnings under it.
/// Enter opens the culprit (task, call site, timer or loop) of the row's warning (a group's latest).
enum WarningsView {
    /// Narrowing, the loop goes first, then what happened, then the time: a group's count says more at 40 columns.
    /// With warnings in several places the loop stays longest instead: without it, two groups of one kind and subject
    /// on two loops read as one row twice.
    static func columns(severalPlaces: Bool) -> [ListDrawing.Column] {
        [
            .init(title: "AT", width: 9, alignRight: true, priority: severalPlaces ? 3 : 1),
            .init(title: "KIND", width: 19),  // a member row indents its kind by two
            .init(title: "COUNT", width: 6, alignRight: true),
            .init(title: "LOOP", width: 4, alignRight: true, priority: severalPlaces ? 1 : 3),
            .init(title: "SUBJECT", width: 16, flexible: true),
            .init(title: "WHAT HAPPENED", width: 24, flexible: true, priority: 2)
        ]
    }

    /// The warnings in the order the view lists them: newest first (ties in the order they were raised).
    private static func ordered(_ runtime: RuntimeState) -> [Warning] {
        runtime.warnings.reversed().enumerated().sorted {
            ($0.element.atNanoseconds, -$0.offset) > ($1.element.atNanoseconds, -$1.offset)
        }
        .map(\.element)
    }

    static func draw(
        _ runtime: RuntimeState, _ monitor: inout MonitorState, on canvas: inout some Canvas, area: Screen.Area
    ) {
        let start = runtime.firstEventNanoseconds ?? 0
        // One pass, no set built per frame: are two warnings' groups in different places?
        let first = runtime.warnings.first.map(WarningGroup.Place.init)
        let columns = columns(severalPlaces: runtime.warnings.contains { WarningGroup.Place($0) != first })
        let widths = ListDrawing.layout(columns, width: area.width)
        let newestFirst = ordered(runtime)
        let rows = WarningGroup.rows(newestFirst, expanded: monitor.expandedWarningGroups)
        let lines = rows.map {
            row -> ListDrawing.Line in
            let warning: Warning
            let detail: String
            let count: String
            let place: String
            let identity: ListDrawing.RowKey
            switch row {
            case .group(let group):
                warning = group.latest
                place = group.key.place.label
                // A group of warnings with a figure shows its worst; one without (a failure) its latest.
                detail =
                    group.warnings.count > 1 && group.worst.figureNanoseconds > 0
                    ? "worst: " + group.worst.detail : warning.detail
                let open = monitor.expandedWarningGroups.contains(group.key) && group.warnings.count > 1
                count = group.warnings.count == 1 ? "" : (open ? "▼ " : "") + "×\(group.warnings.count)"
                identity = .warningGroup(group.key)
            case .member(let member):
                warning = member
                detail = member.detail
                count = ""
                place = Self.label(member)
                identity = .warning(atNanoseconds: member.atNanoseconds, group: WarningGroup.Key(member))
            }
            let isMember: Bool
            if case .member = row { isMember = true } else { isMember = false }
            let cells = [
                Format.clock(warning.atNanoseconds - min(warning.atNanoseconds, start), tenths: true),
                isMember ? "  " + warning.kind.rawValue : warning.kind.rawValue, count,
                place, warning.subject, detail
            ]
            return ListDrawing.Line(
                text: ListDrawing.row(cells, columns, widths: widths), style: isMember ? .plain : .warning,
                target: warning.culprit, identity: identity)
        }
        // What the list holds: the header counts every warning raised, the list keeps the latest
        // (`Aggregator.warningLimit`).
        let groups = rows.count { if case .group = $0 { true } else { false } }
        let (kept, raised) = (runtime.warnings.count, Int(runtime.totals.warnings))
        let held = raised > kept ? "the latest \(kept) of \(raised) warnings" : "\(kept) warning\(kept == 1 ? "" : "s")"
        // The legend only when the LOOP column is shown (index 3), on a line of its own if both do not fit in one.
        let legend = widths[3] > 0 ? loopLegend(rows) : ""
        let counts = held + " in \(groups) group\(groups == 1 ? "" : "s"), newest first"
        let joined = legend.isEmpty ? counts : counts + " · " + legend
        var list = area
        if !runtime.warnings.isEmpty {
            if TextWidth.of(joined) <= area.width - 2 {
                list = ListDrawing.summary(joined, on: &canvas, area: list)
            } else if legend.isEmpty {
                list = ListDrawing.summary(counts, on: &canvas, area: list)
            } else {
                list = ListDrawing.summary(counts, on: &canvas, area: list)
                list = ListDrawing.summary(legend, on: &canvas, area: list)
            }
        }
        ListDrawing.draw(
            header: ListDrawing.row(columns.map(\.title), columns, widths: widths), lines: lines, &monitor, on: &canvas,
            top: list.top, height: list.height, width: list.width, empty: "(no warnings)")
    }

    /// A warning's own LOOP label (an opened group's row): its loop, or the pool thread or thread that raised it.
    static func label(_ warning: Warning) -> String {
        warning.culprit == .pool ? "pool" : ProducerKind.label(loop: warning.loop)
    }

    /// What the LOOP column's labels other than an event loop's number mean, for the labels the list's rows show
    /// ("LOOP pool: Swift concurrency pool, …"), or "" when they are all event loops'. One pass, no set.
    static func loopLegend(_ rows: [WarningGroup.Row]) -> String {
        var (pool, poolThread, enqueuing, nio) = (false, false, false, false)
        for row in rows {
            switch row {
            case .group(let group):
                switch group.key.place {
                case .pool: pool = true
                case .loop(let loop): nio = nio || ProducerKind(loop: loop) == .nioLoop
                }
            case .member(let warning) where warning.culprit == .pool: pool = true
            case .member(let warning):
                switch ProducerKind(loop: warning.loop) {
                case .poolThread: poolThread = true
                case .enqueuingThread: enqueuing = true
                case .nioLoop: nio = true
                case .eventLoop: break
                }
            }
        }
        let parts =
            (pool ? ["pool: Swift concurrency pool"] : []) + (poolThread ? ["pN: its thread N"] : [])
            + (enqueuing ? ["tN: a thread handing it tasks"] : []) + (nio ? ["nN: SwiftNIO loop"] : [])
        return parts.isEmpty ? "" : "LOOP " + parts.joined(separator: ", ")
    }
}
