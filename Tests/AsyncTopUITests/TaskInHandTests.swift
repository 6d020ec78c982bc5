import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopUI
import Testing

/// The task under the cursor, or open in the task detail, stays past its retention time: on a busy list the row
/// drawn a frame ago could expire before Enter ("Task N is gone"), and a task detail left open went blank.
@Suite struct TaskInHandTests {
    /// The monitor's frame as `MonitorApp` runs it: the task in hand handed to the model, time moved on, drawn.
    func frame(_ trace: inout ScriptedTrace, at milliseconds: Double, _ monitor: inout MonitorState) -> String {
        trace.aggregator.keptTask = monitor.taskInHand
        trace.advance(to: milliseconds)
        var canvas = MemoryCanvas(rows: 24, columns: 100)
        Screen.draw(trace.state, &monitor, on: &canvas)
        return canvas.text
    }

    @Test func theTaskUnderTheCursorAndTheOneOpenOutliveTheirRetention() {
        var trace = ScriptedTrace(retentionMilliseconds: 100)
        for id in 1...3 as ClosedRange<UInt64> {
            trace.at(Double(id), .taskSpawned, name: "job \(id)", id: id)
            trace.at(Double(id) + 10, .taskCompleted, id: id)
        }
        trace.at(4, .taskSpawned, name: "server", id: 4)  // lives on
        var monitor = MonitorState(sourceLabel: "x")
        monitor.view = .tasks
        monitor.retentionNanoseconds = .ms(100)
        _ = frame(&trace, at: 20, &monitor)
        _ = Keymap.handle(.down, &monitor, runtime: trace.state)
        let listed = frame(&trace, at: 50, &monitor)
        #expect(listed.contains("job 2") && monitor.taskInHand == 2, "\(listed)")

        // Past every ended task's retention: the one under the cursor stays, and the cursor with it.
        let later = frame(&trace, at: 500, &monitor)
        #expect(trace.state.tasks[2] != nil && trace.state.tasks[1] == nil && trace.state.tasks[3] == nil, "\(later)")
        #expect(
            later.contains("an ended task stays 100ms, or while the cursor is on it") && monitor.taskInHand == 2,
            "\(later)")
        _ = Keymap.handle(.enter, &monitor, runtime: trace.state)
        let detail = frame(&trace, at: 1_000, &monitor)
        #expect(monitor.view == .taskDetail && detail.contains("job 2") && !detail.contains("is gone"), "\(detail)")

        // Back in the list the cursor is still on it; moved to the live task, it lets it go at the next frame.
        _ = Keymap.handle(.escape, &monitor, runtime: trace.state)
        _ = frame(&trace, at: 1_100, &monitor)
        #expect(monitor.taskInHand == 2 && trace.state.tasks[2] != nil)
        _ = Keymap.handle(.down, &monitor, runtime: trace.state)
        let after = frame(&trace, at: 1_200, &monitor)
        _ = frame(&trace, at: 1_300, &monitor)
        #expect(monitor.taskInHand == 4 && trace.state.tasks[2] == nil, "\(after)")
    }
}
