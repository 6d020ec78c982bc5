import AsyncTopModel
import AsyncTopTrace

/// A small, fixed runtime picture for view tests and benchmarks: two loops, tasks in every state (one a
/// child of another), timers, call sites, a slow callback and warnings.
public enum SampleRuntime {
    public static func make() -> ScriptedTrace {
        var trace = ScriptedTrace()
        trace.at(0, .loopStarted, loop: 0, id: 1001)
        trace.at(0, .loopStarted, loop: 1, id: 1002)
        for turn in 0..<30 {
            let start = Double(turn) * 100
            trace.at(start, .tickBegan, loop: 0)
            trace.callback(UInt64(turn), site: "Server.swift:42", at: start + 1, duration: turn == 20 ? 25 : 2)
            trace.at(start + 30, .tickEnded, loop: 0, id: 1, arg: UInt64(turn % 4))
            trace.at(start, .tickBegan, loop: 1)
            trace.callback(UInt64(1000 + turn), site: "Metrics.swift:7", at: start + 2, duration: 0.5, loop: 1)
            trace.at(start + 3, .tickEnded, loop: 1, id: 1, arg: 0)
        }
        trace.at(10, .taskSpawned, name: "accept-loop", id: 1)
        trace.at(10, .taskLocation, name: "Server.swift:12", id: 1)
        trace.at(11, .taskPollBegan, id: 1)
        trace.at(12, .taskPollEnded, id: 1)
        trace.at(20, .taskSpawned, name: "connection-7", id: 2, arg: 1)
        trace.at(20, .taskLocation, name: "Server.swift:30", id: 2)
        trace.at(21, .taskPollBegan, id: 2)
        trace.at(2500, .taskPollEnded, id: 2)
        trace.at(2600, .taskWoken, id: 2)
        trace.at(30, .taskSpawned, name: "flush", id: 3, arg: 1)
        trace.at(31, .taskPollBegan, id: 3)
        trace.at(35, .taskCompleted, id: 3)
        let error = UInt64(trace.names.id("connection reset").rawValue)
        trace.at(40, .taskSpawned, name: "upload", id: 4)
        trace.at(41, .taskPollBegan, id: 4)
        trace.at(45, .taskFailed, id: 4, arg: error)
        trace.at(46, .failureUnobserved, id: 4, arg: error)
        trace.at(2900, .taskSpawned, name: "report", id: 5)
        trace.at(2950, .timerArmed, name: "Heartbeat.swift:3", id: 70, arg: .ms(3100))
        trace.at(2960, .timerArmed, name: "Timeout.swift:9", id: 71, arg: .ms(8000))
        trace.at(1000, .timerArmed, name: "Poller.swift:5", id: 72, arg: .ms(1500))
        trace.at(1515, .timerFired, id: 72, arg: .ms(15))
        trace.at(1515, .timerArmed, id: 72, arg: .ms(3000))
        trace.at(3000, .counter, name: "jobs.queued", arg: 12)
        trace.advance(to: 3000)
        return trace
    }
}
