import AsyncTopModel
import AsyncTopTestSupport
import Testing

/// A task's busy, scheduled and idle times include the state it is in now, so that they add up to its age.
@Suite struct TaskTimesTests {
    @Test func aWaitingTaskIsIdleWhileItWaits() throws {
        var trace = ScriptedTrace()
        trace.at(0, .taskSpawned, loop: 1, name: "sleeper", id: 7)
        trace.at(1, .taskPollBegan, loop: 1, id: 7)
        trace.at(3, .taskPollEnded, loop: 1, id: 7)  // waits from 3 ms on
        trace.advance(to: 1_000)
        let task = try #require(trace.state.tasks[7])
        let now = trace.state.nowNanoseconds
        #expect(task.state == .waiting)
        #expect(task.idleNanoseconds(now: now) == 997_000_000)
        #expect(task.busyNanoseconds(now: now) == 2_000_000)
        #expect(task.scheduledWaitNanoseconds(now: now) == 1_000_000)
        #expect(
            task.busyNanoseconds(now: now) + task.scheduledWaitNanoseconds(now: now) + task.idleNanoseconds(now: now)
                == task.totalNanoseconds(now: now))
    }
}

/// A warning's culprit stays reachable while the warning is kept (issue 16.8: Enter on a warning said "Task 0 is
/// gone", then the task itself was gone after the retention time).
@Suite struct WarningCulpritTests {
    @Test func aTaskAWarningNamesOutlivesTheRetention() throws {
        var trace = ScriptedTrace()
        trace.at(0, .taskSpawned, loop: 1, name: "forgotten", id: 7)
        trace.at(0, .taskSpawned, loop: 1, name: "fine", id: 8)
        trace.at(1, .taskFailed, loop: 1, id: 7)
        trace.at(1, .taskCompleted, loop: 1, id: 8)
        trace.at(2, .failureUnobserved, loop: 1, id: 7)
        trace.advance(to: 30_000)
        let warning = try #require(trace.state.warnings.first { $0.kind == .unhandledFailure })
        #expect(warning.subject == "forgotten" && warning.culprit == .task(7))
        #expect(trace.state.tasks[7] != nil, "the warned-about task is kept")
        #expect(trace.state.tasks[8] == nil, "another finished task leaves after the retention time")
    }
}
