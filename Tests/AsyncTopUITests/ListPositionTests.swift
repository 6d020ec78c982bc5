import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopTrace
import AsyncTopUI
import Testing

/// A list longer than its rows says which row is selected ("1/50") without covering a column's title (issue 16.16:
/// at 40 columns "1/10" was drawn over the tasks list's BUSY).
@Suite struct ListPositionTests {
    @Test func thePositionNeverCoversAColumnTitle() throws {
        var trace = ScriptedTrace()
        for id in 1...50 as ClosedRange<UInt64> {
            trace.at(Double(id), .taskSpawned, loop: 1, name: "job \(id)", id: id)
        }
        trace.advance(to: 100)
        for (columns, rows) in [(120, 40), (80, 24), (40, 12)] {
            let canvas = drawn(trace.state, view: .tasks, columns: columns, rows: rows)
            let lines = canvas.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let header = try #require(lines.first { $0.contains("NAME") }, "\(canvas.text)")
            let titles = header.split(separator: " ").filter { !$0.contains("/") }
            #expect(titles.last.map { $0.allSatisfy { !$0.isNumber } } == true, "\(columns)×\(rows): \(header)")
            #expect(lines.contains { $0.hasSuffix("1/50 ") || $0.hasSuffix("1/50") }, "\(columns)×\(rows)")
            if columns == 40 {
                #expect(header.hasSuffix("BUSY") || header.hasSuffix("BUSY "), "\(header)")
            }
        }
    }
}
