import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopUI
import Testing

/// The tasks view's filter as a user types it (issue 16.14): Esc clears an applied filter, Ctrl-U clears what is
/// typed, an unknown state and a filter that matches nothing say so instead of showing an empty list.
@Suite struct TaskFilterTests {
    func screen(_ monitor: inout MonitorState, _ state: RuntimeState) -> String {
        var canvas = MemoryCanvas(rows: 24, columns: 100)
        Screen.draw(state, &monitor, on: &canvas)
        return canvas.text
    }

    func type(_ text: String, _ monitor: inout MonitorState, _ state: RuntimeState) {
        for character in text { _ = Keymap.handle(.character(character), &monitor, runtime: state) }
    }

    @Test func escapeClearsAnAppliedFilterAndControlUWhatIsTyped() {
        let state = SampleRuntime.make().state
        var monitor = MonitorState(sourceLabel: "x")
        monitor.view = .tasks
        type("/conn", &monitor, state)
        _ = Keymap.handle(.enter, &monitor, runtime: state)
        #expect(monitor.taskFilter == "conn")
        _ = Keymap.handle(.escape, &monitor, runtime: state)
        #expect(monitor.taskFilter.isEmpty && monitor.view == .tasks)

        type("/acc", &monitor, state)
        _ = Keymap.handle(.controlU, &monitor, runtime: state)
        #expect(monitor.filterDraft == "" && monitor.taskFilter.isEmpty)
        type("rep", &monitor, state)
        #expect(monitor.taskFilter == "rep")
        _ = Keymap.handle(.escape, &monitor, runtime: state)
        #expect(monitor.filterDraft == nil && monitor.taskFilter.isEmpty)
    }

    @Test func anUnknownStateAndNoMatchSaySo() {
        let state = SampleRuntime.make().state
        var monitor = MonitorState(sourceLabel: "x")
        monitor.view = .tasks
        monitor.taskFilter = "state:bogus"
        #expect(
            screen(&monitor, state).contains(
                "no state 'bogus': the states are running, ready, waiting, done, failed, cancelled"))
        monitor.taskFilter = "zzz-nothing"
        #expect(screen(&monitor, state).contains("no task matches 'zzz-nothing' (Esc clears the filter)"))
        monitor.taskFilter = "state:wait"
        #expect(!screen(&monitor, state).contains("no task matches"))
    }
}

/// A selected row stays selected as new rows arrive above it (issue 16.14): the warnings list is newest first.
@Suite struct SelectionFollowsItsRowTests {
    @Test func aSelectedWarningStaysSelectedAsNewerOnesArrive() {
        var trace = ScriptedTrace()
        for second in 0..<3 {
            trace.callback(
                UInt64(second + 1), site: "slow.swift:\(second)", at: Double(second * 1_000), duration: 50, loop: 1)
        }
        var monitor = MonitorState(sourceLabel: "x")
        monitor.view = .warnings
        var canvas = MemoryCanvas(rows: 20, columns: 100)
        Screen.draw(trace.state, &monitor, on: &canvas)
        _ = Keymap.handle(.down, &monitor, runtime: trace.state)  // the second newest: slow.swift:1
        Screen.draw(trace.state, &monitor, on: &canvas)
        #expect(monitor.selection(.warnings) == 1)
        for second in 3..<5 {
            trace.callback(
                UInt64(second + 1), site: "slow.swift:\(second)", at: Double(second * 1_000), duration: 50, loop: 1)
        }
        Screen.draw(trace.state, &monitor, on: &canvas)
        #expect(monitor.selection(.warnings) == 3, "two newer warnings came above it")
        // Below the header, the tabs, the summary line and the column titles.
        let row = canvas.lines[4 + monitor.selection(.warnings)]
        #expect(row.contains("slow.swift:1") && !row.contains("slow.swift:1" + "0"), "\(row)")
    }
    /// The tasks list too (issue 16.14): sorted newest first, a selected task keeps the selection as newer tasks
    /// arrive above it, until a key moves it.
    @Test func aSelectedTaskStaysSelectedAsNewerOnesArrive() {
        var trace = ScriptedTrace()
        for id in 1...5 as ClosedRange<UInt64> {
            trace.at(Double(id), .taskSpawned, loop: 1, name: "job \(id)", id: id)
        }
        var monitor = MonitorState(sourceLabel: "x")
        monitor.view = .tasks
        monitor.sortDescending = true  // by id, newest first
        var canvas = MemoryCanvas(rows: 20, columns: 100)
        Screen.draw(trace.state, &monitor, on: &canvas)
        _ = Keymap.handle(.down, &monitor, runtime: trace.state)
        Screen.draw(trace.state, &monitor, on: &canvas)
        #expect(monitor.selection(.tasks) == 1)  // job 4
        for id in 6...8 as ClosedRange<UInt64> {
            trace.at(Double(id), .taskSpawned, loop: 1, name: "job \(id)", id: id)
        }
        Screen.draw(trace.state, &monitor, on: &canvas)
        #expect(monitor.selection(.tasks) == 4, "three newer tasks came above it")
        #expect(monitor.target(ofRow: monitor.selection(.tasks)) == .task(4))
        _ = Keymap.handle(.down, &monitor, runtime: trace.state)
        Screen.draw(trace.state, &monitor, on: &canvas)
        #expect(monitor.target(ofRow: monitor.selection(.tasks)) == .task(3), "a key still moves it")
    }
}
