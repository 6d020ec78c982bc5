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
        #expect(task.busyNanoseconds(now: now) + task.scheduledWaitNanoseconds(now: now) + task.idleNanoseconds(now: now)
            == task.totalNanoseconds(now: now))
    }
}
