import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopTrace
import AsyncTopUI
import Testing

/// The callbacks view keeps what matters at every width (issue 16.11 and 16.16): a slow callback's call site keeps
/// its file and line, and the title line above the slow callbacks shows the queue depths whole or not at all.
@Suite struct CallbacksViewTests {
    @Test func slowCallbacksKeepTheirLineAndTheTitleLineNoCutFigure() throws {
        var trace = ScriptedTrace()
        trace.at(0, .callbackEnqueued, loop: 1, id: 1)
        trace.at(10, .callbackBegan, loop: 1, name: "AsyncTopDemos/BlockingCallback.swift:31", id: 1)
        trace.at(260, .callbackEnded, loop: 1, id: 1)
        trace.advance(to: 500)
        // At 40x12 the table has the area to itself (the slow callbacks left it one row): the slow list is at
        // 40 columns from 16 rows.
        for (columns, rows) in [(120, 40), (80, 24), (40, 16)] {
            let canvas = drawn(trace.state, view: .callbacks, columns: columns, rows: rows)
            let lines = canvas.text.split(separator: "\n").map(String.init)
            let title = try #require(lines.first { $0.contains("recent slow callbacks") }, "\(canvas.text)")
            #expect(
                title.contains("loop 1: 0 queued") || !title.contains("queue"), "\(columns)×\(rows): \(title)")
            let slow = try #require(lines.first { $0.contains("at 00:00.0") }, "\(canvas.text)")
            #expect(slow.contains("250ms") && slow.hasSuffix(":31"), "\(columns)×\(rows): \(slow)")
        }
        let small = drawn(trace.state, view: .callbacks, columns: 40, rows: 12).text
        #expect(!small.contains("recent slow callbacks") && small.contains(":31"), "\(small)")
    }
}
