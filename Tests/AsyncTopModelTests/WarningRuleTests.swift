import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopTrace
import Testing

@Suite struct WarningRuleTests {
    @Test func blockingCallbackWarnsAtTheThresholdAndNotBelow() {
        var trace = ScriptedTrace()
        trace.callback(1, site: "quick.swift:1", at: 0, duration: 9.9)
        #expect(trace.warnings(.blocking).isEmpty)
        trace.callback(2, site: "slow.swift:7", at: 20, duration: 10)
        #expect(trace.warnings(.blocking).map(\.subject) == ["slow.swift:7"])
        #expect(trace.warnings(.blocking).first?.culprit == .callSite("slow.swift:7"))
        #expect(trace.state.callSite(named: "slow.swift:7")?.maxNanoseconds == .ms(10))
    }

    @Test func longTaskPollWarnsAsBlocking() {
        var trace = ScriptedTrace()
        trace.at(0, .taskSpawned, name: "crunch", id: 5)
        trace.at(1, .taskPollBegan, id: 5)
        trace.at(3, .taskPollEnded, id: 5)
        #expect(trace.warnings(.blocking).isEmpty)
        trace.at(4, .taskWoken, id: 5)
        trace.at(5, .taskPollBegan, id: 5)
        trace.at(30, .taskPollEnded, id: 5)
        #expect(trace.warnings(.blocking).map(\.culprit) == [.task(5)])
    }

    @Test func starvedReadyTaskWarnsOnceWhileWaitingAndNotWhenPolledInTime() {
        var trace = ScriptedTrace()
        trace.at(0, .taskSpawned, name: "prompt", id: 1)
        trace.at(10, .taskPollBegan, id: 1)
        trace.at(11, .taskPollEnded, id: 1)
        trace.at(0, .taskSpawned, name: "starving", id: 2)
        trace.advance(to: 49)
        #expect(trace.warnings(.starved).isEmpty)
        trace.advance(to: 60)
        trace.advance(to: 100)
        #expect(trace.warnings(.starved).map(\.culprit) == [.task(2)])
        // Polled at last: the episode is over, and the same long wait is not warned twice.
        trace.at(120, .taskPollBegan, id: 2)
        #expect(trace.warnings(.starved).count == 1)
        #expect(trace.state.tasks[2]?.scheduledWaitNanoseconds == .ms(120))
    }

    @Test func lateTimerWarnsOnlyPastThreshold() {
        var trace = ScriptedTrace()
        trace.at(0, .timerArmed, name: "tick.swift:3", id: 1, arg: .ms(100))
        trace.at(105, .timerFired, id: 1, arg: .ms(5))
        trace.at(0, .timerArmed, name: "late.swift:9", id: 2, arg: .ms(100))
        trace.at(112, .timerFired, id: 2, arg: .ms(12))
        #expect(trace.warnings(.lateTimer).map(\.subject) == ["late.swift:9"])
        #expect(trace.state.totals.maxTimerLatenessNanoseconds == .ms(12))
        #expect(trace.state.totals.timersFired == 2)
    }

    @Test func growingQueueWarnsAfterFiveSecondsAndAFlatOneNever() {
        var trace = ScriptedTrace()
        // Loop 0's callback queue grows every second; loop 1's stays flat.
        for second in 0..<8 {
            let t = Double(second) * 1000 + 500
            trace.at(t - 1, .tickBegan, loop: 0)
            trace.at(t, .tickEnded, loop: 0, arg: UInt64(10 * (second + 1)))
            trace.at(t - 1, .tickBegan, loop: 1)
            trace.at(t, .tickEnded, loop: 1, arg: 3)
            trace.advance(to: Double(second + 1) * 1000)
        }
        #expect(trace.warnings(.queueGrowth).map(\.culprit) == [.loop(0)])
    }

    @Test func growingUserCounterWarnsAndAShrinkingOneResets() {
        var trace = ScriptedTrace()
        for second in 0..<8 {
            trace.at(Double(second) * 1000 + 1, .counter, name: "queue.depth", arg: UInt64(100 * (second + 1)))
            trace.at(Double(second) * 1000 + 1, .counter, name: "sawtooth", arg: UInt64(second % 2 == 0 ? 10 : 5))
            trace.advance(to: Double(second + 1) * 1000)
        }
        #expect(trace.warnings(.queueGrowth).map(\.subject) == ["queue.depth"])
    }

    /// echo-server's totals rose for 0.2 s, then the program was quiet until its recording ended at 8 s: the one
    /// sample at the end was higher than the last one at 0.1 s, and the rule said "grew for 7.91s" (16.6's stats).
    @Test func aCounterThatRoseThenStayedPutThroughQuietSecondsIsNotGrowing() {
        var trace = ScriptedTrace()
        for step in 0..<20 {
            trace.at(20 + Double(step) * 10, .counter, name: "clients.verified", arg: UInt64(step * 5))
            if step == 10 { trace.advance(to: 120) }  // judged in second 0, halfway up
        }
        trace.advance(to: 8_005)  // the end of the recording
        #expect(trace.warnings(.queueGrowth).isEmpty, "\(trace.warnings(.queueGrowth).map(\.detail))")
    }

    @Test func lostWakeWarnsForAWaitingTaskOnly() {
        var trace = ScriptedTrace()
        trace.at(0, .taskSpawned, name: "forgotten", id: 1)
        trace.at(1, .taskPollBegan, id: 1)
        trace.at(2, .taskPollEnded, id: 1)
        trace.at(0, .taskSpawned, name: "busy", id: 2)
        for step in 1...12 {
            trace.at(Double(step) * 1000, .taskWoken, id: 2)
            trace.at(Double(step) * 1000 + 1, .taskPollBegan, id: 2)
            trace.at(Double(step) * 1000 + 2, .taskPollEnded, id: 2)
        }
        trace.advance(to: 11_000)
        #expect(trace.warnings(.lostWake).map(\.culprit) == [.task(1)])
        trace.advance(to: 12_500)
        #expect(trace.warnings(.lostWake).count == 1)
    }

    @Test func unhandledFailuresWarnForThrowingCallbacksAndUnobservedTasks() {
        var trace = ScriptedTrace()
        let error = UInt64(trace.names.id("boom").rawValue)
        trace.at(0, .callbackBegan, name: "io.swift:4", id: 1)
        trace.at(1, .callbackFailed, id: 1, arg: error)
        trace.at(2, .taskSpawned, name: "observed", id: 2)
        trace.at(3, .taskFailed, id: 2, arg: error)
        #expect(trace.warnings(.unhandledFailure).count == 1)
        trace.at(4, .taskSpawned, name: "dropped", id: 3)
        trace.at(5, .taskFailed, id: 3, arg: error)
        trace.at(6, .failureUnobserved, id: 3, arg: error)
        #expect(trace.warnings(.unhandledFailure).map(\.culprit) == [.callSite("io.swift:4"), .task(3)])
        #expect(trace.state.tasks[3].flatMap(trace.state.error(of:)) == "boom")
        #expect(trace.state.totals.unobservedFailures == 2)
    }

    @Test func customThresholdsAreHonoured() {
        var thresholds = WarningThresholds()
        thresholds.blockingNanoseconds = .ms(100)
        var trace = ScriptedTrace(thresholds: thresholds)
        trace.callback(1, site: "a", at: 0, duration: 50)
        #expect(trace.warnings(.blocking).isEmpty)
    }
}
