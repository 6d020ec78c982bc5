import AsyncTopTrace
import Foundation
import Testing

/// The flight recorder keeps a window of recent events and writes it on demand; a window once written is never
/// lost to a later dump (a warning's window used to be overwritten by the dump at exit).
@Suite struct FlightRecorderTests {
    @Test func everyWindowADumpSavedIsInTheLastFile() throws {
        let region = try Region(layout: RegionLayout(ringCount: 2, ringCapacity: 1 << 12, namesCapacity: 4096))
        let tracer = region.makeTracer(loop: 1)
        let source = InProcessSource(region: region)
        let recorder = FlightRecorder(source: source, windowNanoseconds: 1_000_000)
        let path = NSTemporaryDirectory() + "flight-\(UUID().uuidString).atrace"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var batch = EventBatch()
        func pump() {
            batch.removeAll()
            _ = source.read(into: &batch, limit: .max)
            recorder.keep(batch)
        }
        let calibration = source.info.calibration
        func nowTicks() -> UInt64 { TraceClock.now(of: calibration.kind) &- calibration.epochTicks }
        tracer.emit(.mark, loop: 1, id: 1)  // the moment a warning fires
        pump()
        let firstDump = nowTicks()
        try recorder.dump(to: path, nowTicks: firstDump)
        for index in 0..<20 as Range<UInt64> {  // 20 ms more, each event in a batch of its own
            usleep(1_000)
            tracer.emit(.mark, loop: 1, id: 100 + index)
            pump()
        }
        let lastDump = nowTicks()
        try recorder.dump(to: path, nowTicks: lastDump)  // the dump at exit
        let reader = try TraceFileReader(path: path)
        var events: [TraceEvent] = []
        for chunk in reader.chunks { try reader.events(of: chunk, into: &events) }
        let ids = Set(events.map(\.id))
        #expect(ids.contains(1), "the warning's window was lost")
        #expect(ids.contains(119), "the last window is missing")
        #expect(!ids.contains(105), "an event outside every saved window was kept")
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
        // Two windows with a gap between: the file says which stretches it holds.
        let windows = reader.recordedWindows
        #expect(windows.count == 2, "\(windows)")
        #expect(windows.first?.contains(events.first { $0.id == 1 }!.time) == true)
        #expect(windows.first?.upperBound == firstDump && windows.last?.upperBound == lastDump)
        let latest = try #require(events.first { $0.id == 119 }).time
        #expect(reader.gaps.count == 1 && reader.gaps[0].upperBound <= latest)
    }
}
