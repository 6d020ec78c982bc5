import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopTrace
import AsyncTopUI
import Testing

/// The Overview's latency sparkline plots each second's worst delay (issue 16.13): in microtask-starvation a second
/// of thousands of quick microtasks and one timer 400 ms late must stand apart from a second whose timer is 3 ms late.
/// Each second's p99, plotted before, was the microtasks' 10 µs in both.
@Suite struct LatencySparklineTests {
    @Test func aSecondWithOneLongDelayAmongThousandsOfShortOnesStandsOut() throws {
        var trace = ScriptedTrace()
        var id: UInt64 = 0
        for second in 0..<4 {
            let start = Double(second) * 1000
            for index in 0..<2000 {
                id += 1
                trace.at(start + Double(index) * 0.4, .microtaskBegan, loop: 1, id: id, arg: 10_000)
                trace.at(start + Double(index) * 0.4 + 0.1, .microtaskEnded, loop: 1, id: id)
            }
            id += 1
            let late = second.isMultiple(of: 2) ? 400.0 : 3.0
            trace.at(start + 900, .callbackBegan, loop: 1, name: "heartbeat", id: id, arg: UInt64(late * 1e6))
            trace.at(start + 900.1, .callbackEnded, loop: 1, id: id)
        }
        trace.advance(to: 4_500)
        // At 80 columns too: a line short of room shortens the sparkline instead of dropping it (the 100-column
        // capture of blocking-callback lost it to one character).
        for columns in [120, 80] {
            let canvas = drawn(trace.state, columns: columns, rows: 40)
            let line = try #require(canvas.text.split(separator: "\n").first { $0.hasPrefix("  latency") })
            #expect(line.contains("█▁█▁") && line.contains("p99"), "\(columns) columns: \(line)")
        }
    }

    /// The queue rows plot each second's deepest queue: microtask-starvation floods thousands of microtasks that the
    /// same turn drains, and the row read "max 0" (the depth was sampled at the turn's end).
    @Test func aFloodDrainedWithinATurnShowsInTheQueueRow() throws {
        var trace = ScriptedTrace()
        trace.at(0, .tickBegan, loop: 1)
        for id in 1...500 as ClosedRange<UInt64> { trace.at(0.001 * Double(id), .microtaskEnqueued, loop: 1, id: id) }
        for id in 1...500 as ClosedRange<UInt64> {
            trace.at(1 + 0.001 * Double(id), .microtaskBegan, loop: 1, id: id)
            trace.at(1 + 0.001 * Double(id), .microtaskEnded, loop: 1, id: id)
        }
        trace.at(3, .tickEnded, loop: 1, id: 500, arg: 0)
        trace.advance(to: 1_500)
        let canvas = drawn(trace.state, columns: 120, rows: 40)
        let line = try #require(canvas.text.split(separator: "\n").first { $0.hasPrefix("  microtasks") })
        #expect(line.contains("now 0  max 500"), "\(line)")
    }
}
