import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopTrace
import AsyncTopUI
import Testing

/// The timers view says how late an overdue timer is at every width (issue 16.11: "overdue 1.79s" did not fit its
/// column and showed as `overdue…`, the figure cut).
@Suite struct TimersViewTests {
    @Test func anOverdueTimerShowsHowLateItIsAtEveryWidth() throws {
        var trace = ScriptedTrace()
        trace.at(0, .timerArmed, loop: 1, name: "Heartbeat.swift:24", id: 7, arg: .ms(200))
        trace.advance(to: 1_990)
        for (columns, rows) in [(120, 40), (80, 24), (40, 12)] {
            var monitor = MonitorState(sourceLabel: "test")
            monitor.view = .timers
            var canvas = MemoryCanvas(rows: rows, columns: columns)
            Screen.draw(trace.state, &monitor, on: &canvas)
            let line = try #require(canvas.text.split(separator: "\n").first { $0.contains(":24") }, "\(canvas.text)")
            #expect(line.contains("late 1.79s"), "\(columns)×\(rows): \(line)")
        }
    }
}
