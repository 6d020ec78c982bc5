import AsyncTopModel
import AsyncTopTrace

/// View 4: pending timers by deadline, with a live countdown (or how late an overdue one is), the time between its
/// last two deadlines, times fired and last lateness. A line above says how many fired in all: a one-shot timer
/// leaves the list when it fires.
enum TimersView {
    static let columns: [ListDrawing.Column] = [
        .init(title: "ID", width: 7, alignRight: true),
        .init(title: "SET AT", width: 16, flexible: true),
        .init(title: "FIRES IN", width: 12, alignRight: true),
        .init(title: "LAST GAP", width: 8, alignRight: true, priority: 2),
        .init(title: "FIRED", width: 6, alignRight: true, priority: 1),
        .init(title: "LAST LATE", width: 9, alignRight: true),
        .init(title: "LOOP", width: 4, alignRight: true, priority: 3)
    ]

    static func draw(
        _ runtime: RuntimeState, _ monitor: inout MonitorState, on canvas: inout some Canvas, area: Screen.Area
    ) {
        let now = runtime.nowNanoseconds
        // A repeating timer stays listed while its callback runs (it is re-armed when the callback returns): it
        // vanished from the list 40% of the time under load.
        let timers = runtime.timers.values.filter { $0.isPending || $0.intervalNanoseconds != nil }.sorted {
            ($0.deadlineNanoseconds, $0.loop, $0.id) < ($1.deadlineNanoseconds, $1.loop, $1.id)
        }
        let widths = ListDrawing.layout(columns, width: area.width)
        let lines = timers.map { timer -> ListDrawing.Line in
            // Past its deadline: how late it is, in a word short enough that the figure fits the column at any width.
            // Held by step mode, it is not late: it waits for the stepper (lateness counts no held time).
            let loop = runtime.loops[timer.loop]
            let overdue = now - min(now, timer.deadlineNanoseconds)
            let late = overdue - min(overdue, loop?.heldNanoseconds(from: timer.deadlineNanoseconds, to: now) ?? 0)
            let countdown =
                !timer.isPending
                ? "firing"
                : timer.deadlineNanoseconds >= now
                    ? Format.duration(timer.deadlineNanoseconds - now)
                    : loop?.heldSinceNanoseconds != nil ? "held" : "late " + Format.duration(late)
            let lastLate = timer.lastLatenessNanoseconds ?? 0
            let cells = [
                String(timer.id), timer.site.isEmpty ? "-" : timer.site, countdown,
                timer.intervalNanoseconds.map(Format.duration) ?? "once", String(timer.timesFired),
                timer.lastLatenessNanoseconds.map(Format.duration) ?? "-", ProducerKind.label(loop: timer.loop)
            ]
            let style: Style =
                timer.isPending && timer.deadlineNanoseconds < now
                ? .notice : lastLate >= 10_000_000 ? .warning : .plain
            return ListDrawing.Line(
                text: ListDrawing.row(cells, columns, widths: widths), style: style,
                target: .timer(TimerKey(loop: timer.loop, id: timer.id)))
        }
        let list = ListDrawing.summary(
            "\(timers.count { $0.isPending }) pending, \(runtime.totals.timersFired) fired in all; a one-shot timer "
                + "leaves the list when it fires", on: &canvas, area: area)
        ListDrawing.draw(
            header: ListDrawing.row(columns.map(\.title), columns, widths: widths), lines: lines, &monitor, on: &canvas,
            top: list.top, height: list.height, width: list.width, empty: "(no timer pending)")
    }
}
