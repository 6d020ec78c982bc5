import AsyncTopTrace
import Foundation
import Testing

/// A reader that attaches after a ring wrapped: history from the same moment on every ring, nothing counted missed,
/// what it left out counted apart.
@Suite struct LateReaderTests {
    @Test("a late reader starts every ring at the latest of their oldest events, and counts nothing missed")
    func historyStartsTogether() throws {
        let directory = NSTemporaryDirectory() + "late-reader-\(UUID().uuidString)"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let region = try Region.publish(
            layout: RegionLayout(ringCount: 4, ringCapacity: 64, namesCapacity: 4096), directory: directory)
        defer { region.close() }
        let busy = region.makeTracer(loop: 1)
        let quiet = region.makeTracer(loop: 2)
        quiet.emit(.mark, at: 10, loop: 2)  // before anything the busy ring still holds
        quiet.emit(.counter, at: 11, loop: 2, id: 1, arg: 2)  // a fact: kept however old
        for tick in 0..<200 { busy.emit(.mark, at: 100 + UInt64(tick), loop: 1, id: UInt64(tick)) }
        quiet.emit(.mark, at: 400, loop: 2)

        let source = try AttachedSource(path: try #require(region.path))
        var batch = EventBatch()
        _ = source.read(into: &batch, limit: .max)
        #expect(batch.missed == 0, "written before the reader came: neither delivered nor missed")
        #expect(
            UInt64(batch.events.count) + batch.beforeReader == busy.eventsWritten + quiet.eventsWritten, "but counted")
        // The oldest event the busy ring holds is event 200 − 64 + 1; the reader starts an eighth of a ring later.
        let busyTimes = batch.events.filter { $0.loop == 1 }.map(\.time)
        #expect(busyTimes.first == 100 + 137 + 8 && busyTimes.last == 299 && busyTimes.count == 55)
        #expect(
            batch.events.filter { $0.loop == 2 }.map(\.time) == [11, 400], "the quiet ring's older mark is left out")

        // Later events come whole, from every ring.
        quiet.emit(.mark, at: 500, loop: 2)
        busy.emit(.mark, at: 501, loop: 1)
        batch.removeAll()
        _ = source.read(into: &batch, limit: .max)
        #expect(batch.events.map(\.time).sorted() == [500, 501] && batch.missed == 0)
    }
}
