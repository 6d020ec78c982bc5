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
            let canvas = drawn(trace.state, view: .timers, columns: columns, rows: rows)
            let line = try #require(canvas.text.split(separator: "\n").first { $0.contains(":24") }, "\(canvas.text)")
            #expect(line.contains("late 1.79s"), "\(columns)×\(rows): \(line)")
        }
    }

    /// A repeating timer stays listed while its callback runs (timer-drift's 60 ms load timer vanished from the list
    /// 40% of the time: it is re-armed only when the callback returns); a one-shot timer that fired leaves.
    @Test func aRepeatingTimerStaysListedWhileItFires() throws {
        var trace = ScriptedTrace()
        trace.at(0, .timerArmed, loop: 1, name: "Load.swift:29", id: 3, arg: .ms(10))
        trace.at(0, .timerArmed, loop: 1, name: "Once.swift:5", id: 4, arg: .ms(15))
        trace.at(10, .timerFired, loop: 1, id: 3)
        trace.at(11, .timerArmed, loop: 1, name: "Load.swift:29", id: 3, arg: .ms(20))
        trace.at(15, .timerFired, loop: 1, id: 4)
        trace.at(20, .timerFired, loop: 1, id: 3)  // its callback runs: not re-armed yet
        trace.advance(to: 25)
        let text = drawn(trace.state, view: .timers, columns: 120, rows: 40).text
        let line = try #require(text.split(separator: "\n").first { $0.contains("Load.swift:29") }, "\(text)")
        #expect(line.contains("firing"), "\(line)")
        #expect(!text.contains("Once.swift:5"), "\(text)")
        #expect(text.contains("0 pending, 3 fired in all"), "\(text)")
    }

    /// Each loop numbers its timers from 1: multi-loop's loop 1 and loop 2 both have a timer 1, and the view merged
    /// them into one row (a 500 ms timer "fired 1 073 times in 10 s").
    @Test func timersOfTwoLoopsWithTheSameIdAreTwoRows() throws {
        var trace = ScriptedTrace()
        trace.at(0, .timerArmed, loop: 1, name: "Hot.swift:20", id: 1, arg: .ms(10))
        trace.at(0, .timerArmed, loop: 2, name: "Idle.swift:20", id: 1, arg: .ms(500))
        trace.at(10, .timerFired, loop: 1, id: 1)
        trace.at(10, .timerArmed, loop: 1, name: "Hot.swift:20", id: 1, arg: .ms(20))
        trace.advance(to: 15)
        #expect(trace.state.timers.count == 2)
        let canvas = drawn(trace.state, view: .timers, columns: 100, rows: 24)
        let rows = canvas.text.split(separator: "\n").filter { $0.contains(".swift:20") }
        #expect(rows.count == 2, "\(canvas.text)")
        #expect(rows.contains { $0.contains("Hot.swift:20") && $0.hasSuffix(" 1") }, "\(rows)")
        #expect(rows.contains { $0.contains("Idle.swift:20") && $0.hasSuffix(" 2") }, "\(rows)")
    }
}
