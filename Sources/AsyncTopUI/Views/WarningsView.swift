import AsyncTopModel
import AsyncTopTrace

/// View 6: the warnings, newest first; Enter opens the culprit (task, call site, timer or loop).
enum WarningsView {
    static let columns: [ListDrawing.Column] = [
        .init(title: "AT", width: 9, alignRight: true),
        .init(title: "KIND", width: 17),
        .init(title: "LOOP", width: 4, alignRight: true, priority: 2),
        .init(title: "SUBJECT", width: 16, flexible: true),
        .init(title: "WHAT HAPPENED", width: 30, flexible: true, priority: 1)
    ]

    /// The warnings in the order the view lists them: newest first (ties in the order they were raised).
    static func ordered(_ runtime: RuntimeState) -> [Warning] {
        runtime.warnings.reversed().enumerated().sorted {
            ($0.element.atNanoseconds, -$0.offset) > ($1.element.atNanoseconds, -$1.offset)
        }
        .map(\.element)
    }

    static func draw(
        _ runtime: RuntimeState, _ monitor: inout MonitorState, on canvas: inout some Canvas, area: Screen.Area
    ) {
        let start = runtime.firstEventNanoseconds ?? 0
        let widths = ListDrawing.layout(columns, width: area.width)
        let newestFirst = ordered(runtime)
        let lines = newestFirst.map { warning -> ListDrawing.Line in
            let cells = [
                Format.duration(warning.atNanoseconds - min(warning.atNanoseconds, start)), warning.kind.rawValue,
                warning.culprit == .pool ? "pool" : ProducerKind.label(loop: warning.loop), warning.subject,
                warning.detail
            ]
            return ListDrawing.Line(
                text: ListDrawing.row(cells, columns, widths: widths), style: .warning, target: warning.culprit,
                identity: .warning(atNanoseconds: warning.atNanoseconds, kind: warning.kind, subject: warning.subject))
        }
        ListDrawing.draw(
            header: ListDrawing.row(columns.map(\.title), columns, widths: widths), lines: lines, &monitor, on: &canvas,
            top: area.top, height: area.height, width: area.width)
    }
}
