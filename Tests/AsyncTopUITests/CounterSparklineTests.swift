import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopTrace
import AsyncTopUI
import Testing

/// The Overview draws each user counter with a sparkline of its seconds (asked for in issue 16): a counter set in
/// some seconds only keeps its value through the others, and the line keeps its figures whole at every width.
@Suite struct CounterSparklineTests {
    @Test func eachCounterHasASparklineOfItsSeconds() throws {
        var trace = ScriptedTrace()
        trace.at(0, .loopStarted, loop: 1, id: 1)
        // in_flight rises by 10 every other second, to 40; queued is set once.
        for step in 0..<5 {
            trace.at(Double(step) * 2_000 + 100, .counter, loop: 1, name: "in_flight", arg: UInt64(step * 10))
        }
        trace.at(100, .counter, loop: 1, name: "queued", arg: 3)
        trace.advance(to: 9_500)
        for columns in [120, 80, 40] {
            let canvas = drawn(trace.state, columns: columns, rows: 40)
            let lines = canvas.text.split(separator: "\n").map(String.init)
            let inFlight = try #require(lines.first { $0.hasPrefix("  in_flight") }, "\(canvas.text)")
            #expect(inFlight.contains("now 40  max 40"), "\(columns) columns: \(inFlight)")
            let queued = try #require(lines.first { $0.hasPrefix("  queued") }, "\(canvas.text)")
            #expect(queued.contains("now 3  max 3"), "\(columns) columns: \(queued)")
            // The last ten seconds, each held at its latest value: no blank between the first value and now.
            let spark = inFlight.dropFirst(2 + "in_flight".count + 1).prefix { $0 != "n" }.trimmingCharacters(
                in: .whitespaces)
            #expect(spark.count == 10 && spark.last == "█" && !spark.contains(" "), "\(columns) columns: \(inFlight)")
        }
    }

    /// A second in which the counter went up and came back shows its peak; the seconds after hold where it ended.
    @Test func aQuietSecondHoldsTheLastValueNotThePeak() throws {
        var trace = ScriptedTrace()
        trace.at(0, .loopStarted, loop: 1, id: 1)
        trace.at(100, .counter, loop: 1, name: "in_flight", arg: 0)
        trace.at(1_100, .counter, loop: 1, name: "in_flight", arg: 50)
        trace.at(1_200, .counter, loop: 1, name: "in_flight", arg: 0)
        trace.advance(to: 3_500)
        let canvas = drawn(trace.state, columns: 120, rows: 40)
        let line = try #require(canvas.text.split(separator: "\n").first { $0.hasPrefix("  in_flight") })
        #expect(line.contains("▁█▁▁ now 0  max 50"), "\(line)")
    }
}
