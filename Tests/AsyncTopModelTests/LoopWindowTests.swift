import AsyncTopModel
import AsyncTopTestSupport
import Testing

/// The window's rates and busy share count every second the loop was alive in, with events or without.
@Suite struct LoopWindowTests {
    @Test func aLoopIdleSinceABurstHasTheBurstSpreadOverTheWindow() throws {
        var trace = ScriptedTrace()
        trace.at(0, .loopStarted, loop: 1)
        trace.at(100, .tickBegan, loop: 1)
        trace.at(600, .tickEnded, loop: 1, id: 1)  // 500 ms busy in second 0, then nothing
        trace.advance(to: 9_500)
        let loop = try #require(trace.state.loops[1])
        let window = LoopWindow(loop, endingAt: 9, gaps: [])
        #expect(window.seconds == 9)
        #expect(abs(window.busyRatio - 0.5 / 9) < 0.001)
        #expect(window.ticks == 1)
    }

    @Test func aStoppedLoopCountsTheSecondsUntilItStopped() throws {
        var trace = ScriptedTrace()
        trace.at(0, .loopStarted, loop: 1)
        trace.at(100, .tickBegan, loop: 1)
        trace.at(600, .tickEnded, loop: 1, id: 1)
        trace.at(2_500, .loopStopped, loop: 1)
        trace.advance(to: 9_500)
        let window = trace.state.window(of: try #require(trace.state.loops[1]), endingAt: 9)
        #expect(window.seconds == 3)
    }
}

/// Time a loop is held in step mode is nobody's: not busy, not a delay, no warning (issue 16.10).
@Suite struct HeldLoopTests {
    @Test func aHoldIsNotBusyNorADelay() throws {
        var trace = ScriptedTrace()
        trace.at(0, .tickBegan, loop: 1)
        trace.at(0, .callbackEnqueued, loop: 1, name: "tick.swift:1", id: 1)
        trace.at(1, .loopHeld, loop: 1, id: 1)
        let held = try #require(trace.state.loops[1])
        #expect(held.heldSinceNanoseconds == 1_000_000)
        trace.at(501, .loopHeld, loop: 1, id: 0)
        trace.at(501, .callbackBegan, loop: 1, name: "tick.swift:1", id: 1, arg: 501_000_000)
        trace.at(502, .callbackEnded, loop: 1, id: 1)
        trace.at(502, .tickEnded, loop: 1, id: 1)
        trace.advance(to: 600)
        let loop = try #require(trace.state.loops[1])
        #expect(loop.heldSinceNanoseconds == nil)
        #expect(loop.busyNanoseconds == 2_000_000, "busy before and after the hold only")
        #expect(loop.latencyBuckets.sumNanoseconds == 1_000_000, "the callback's delay less the 500 ms hold")
        #expect(trace.state.totals.warnings == 0)
    }
}
