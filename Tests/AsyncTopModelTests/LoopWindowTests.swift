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
        let window = LoopWindow(loop, endingAt: 9)
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
        let window = LoopWindow(try #require(trace.state.loops[1]), endingAt: 9)
        #expect(window.seconds == 3)
    }
}
