import AsyncTopTrace
import Foundation
import Testing

@Suite struct TraceFileTests {
    static let info = SourceInfo(
        pid: 4242, processName: "file-test", processStartTime: 7, vocabulary: EventKind.vocabularyVersion,
        calibration: ClockCalibration(
            kind: .tsc, nanosecondsPerTick: 0.4, epochTicks: 1_000, epochMonotonicNanoseconds: 5,
            epochUnixNanoseconds: 6),
        ringCount: 2, ringCapacity: 64)

    /// A varied synthetic trace: every kind, big and small ids and args, times going back across rings.
    static func syntheticEvents(_ count: Int) -> [TraceEvent] {
        var generator = SplitMix(seed: 42)
        let kinds = EventKind.all.map(\.kind) + [EventKind(rawValue: 0x7F7F)]
        var time: UInt64 = 10_000
        return (0..<count).map { index in
            time += generator.next() % 5_000
            let kind = kinds[Int(generator.next() % UInt64(kinds.count))]
            let arg: UInt64 =
                kind == .timerArmed
                ? time + generator.next() % 1_000_000 : (index % 7 == 0 ? .max : generator.next() % 100_000)
            return TraceEvent(
                time: time, kind: kind, loop: UInt16(index % 3), name: NameID(rawValue: UInt32(generator.next() % 4)),
                id: index % 11 == 0 ? .max : generator.next() % 10_000, arg: arg)
        }
    }

    func write(_ events: [TraceEvent], to path: String) throws {
        let writer = try TraceFileWriter(path: path, info: Self.info)
        writer.appendName(NameID(rawValue: 1), bytes: Array("alpha".utf8))
        writer.appendName(NameID(rawValue: 2), bytes: [0x1B, 0x5B, 0xFF])
        writer.appendName(NameID(rawValue: 3), bytes: [])
        for (index, event) in events.enumerated() { try writer.append(event, ring: index % 2) }
        try writer.finish()
    }

    func readAll(_ reader: TraceFileReader) throws -> [TraceEvent] {
        var events: [TraceEvent] = []
        for chunk in reader.chunks { try reader.events(of: chunk, into: &events) }
        return events
    }

    @Test func recordThenReadGivesBackEveryEventExactly() throws {
        let path = NSTemporaryDirectory() + "roundtrip-\(UUID().uuidString).atrace"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let events = Self.syntheticEvents(20_000)
        try write(events, to: path)
        let reader = try TraceFileReader(path: path)
        #expect(
            reader.info.calibration == Self.info.calibration && reader.info.pid == 4242
                && reader.info.processName == "file-test")
        #expect(reader.problems.isEmpty)
        #expect(reader.eventCount == events.count)
        // Per ring, order is kept; across rings, chunks interleave in write order.
        let back = try readAll(reader)
        #expect(
            back.sorted { ($0.time, $0.id, $0.kind.rawValue) < ($1.time, $1.id, $1.kind.rawValue) }
                == events.sorted { ($0.time, $0.id, $0.kind.rawValue) < ($1.time, $1.id, $1.kind.rawValue) })
        #expect(reader.names.bytes(for: NameID(rawValue: 2)) == [0x1B, 0x5B, 0xFF])
        #expect(reader.names.bytes(for: NameID(rawValue: 3)) == [])
    }

    @Test func sourceBatchesRoundTripWithNamesRingsAndLosses() throws {
        let region = try Region(layout: RegionLayout(ringCount: 2, ringCapacity: 16, namesCapacity: 4096))
        let tracer = region.makeTracer(loop: 7)
        let name = region.names.intern("job")
        let error = region.names.intern("boom")
        let source = InProcessSource(region: region)
        let path = NSTemporaryDirectory() + "batches-\(UUID().uuidString).atrace"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try TraceFileWriter(path: path, info: source.info)
        let recorder = Recorder(source: source, writer: writer)
        for round in 0..<10 as Range<UInt64> {
            for i in 0..<(round == 5 ? 40 : 8) as Range<UInt64> {
                tracer.emit(.taskSpawned, loop: 7, name: name, id: round * 100 + i)
            }
            tracer.emit(.taskFailed, loop: 7, id: round, arg: UInt64(error.rawValue))
            try recorder.pump()
        }
        try writer.finish()
        let reader = try TraceFileReader(path: path)
        let events = try readAll(reader)
        #expect(UInt64(events.count) + reader.missed == tracer.eventsWritten)
        #expect(reader.missed > 0)  // the 41-event round overflowed the 16-slot ring
        #expect(reader.rings.map(\.loop) == [7])
        #expect(reader.names.bytes(for: name) == Array("job".utf8))
        #expect(reader.names.bytes(for: error) == Array("boom".utf8))
        #expect(reader.info.calibration == region.calibration)
    }

    @Test func compactEncoding() throws {
        let path = NSTemporaryDirectory() + "compact-\(UUID().uuidString).atrace"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Demo-shaped: a loop's callbacks, each enqueue/begin/end with small deltas.
        var events: [TraceEvent] = []
        var time: UInt64 = 0
        for id in 0..<30_000 as Range<UInt64> {
            for kind in [EventKind.callbackEnqueued, .callbackBegan, .callbackEnded] {
                time += 150
                events.append(
                    TraceEvent(
                        time: time, kind: kind, loop: 1, name: NameID(rawValue: 3), id: id,
                        arg: kind == .callbackBegan ? 400 : 0))
            }
        }
        try write(events, to: path)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(Double(size) / Double(events.count) <= 8)
    }

    /// Thousands of damaged files: each gives a typed error, or a partial read whose losses are stated.
    @Test func corruptedFilesNeverCrash() throws {
        let path = NSTemporaryDirectory() + "valid-\(UUID().uuidString).atrace"
        let damaged = NSTemporaryDirectory() + "damaged-\(UUID().uuidString).atrace"
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: damaged)
        }
        let events = Self.syntheticEvents(3_000)
        try write(events, to: path)
        let valid = try Data(contentsOf: URL(fileURLWithPath: path))
        var generator = SplitMix(seed: 7)

        func check(_ bytes: Data) -> (errored: Bool, partial: Bool) {
            _ = FileManager.default.createFile(atPath: damaged, contents: bytes)
            do {
                let reader = try TraceFileReader(path: damaged)
                var decoded: [TraceEvent] = []
                var failures = 0
                for chunk in reader.chunks {
                    do { try reader.events(of: chunk, into: &decoded) } catch { failures += 1 }
                }
                let lossy = decoded.count < events.count
                // Whatever was lost is stated: a problem, a truncation, or a chunk that failed to decode.
                if lossy { #expect(!reader.problems.isEmpty || failures > 0 || reader.truncatedBytes > 0) }
                return (false, lossy)
            } catch {
                #expect(!error.description.isEmpty)
                return (true, false)
            }
        }

        #expect(check(Data()).errored)
        #expect(check(Data("not a trace at all".utf8)).errored)
        var wrongMagic = valid
        wrongMagic[0] = 0x42
        #expect(check(wrongMagic).errored)
        var future = valid
        future[8] = 9
        #expect(check(future).errored)
        var errors = 0
        var partials = 0
        for round in 0..<2_000 {
            var bytes = valid
            switch round % 4 {
            case 0:
                bytes = bytes.prefix(Int(generator.next() % UInt64(bytes.count)))
            case 1:
                for _ in 0..<(1 + generator.next() % 8) {
                    let index = Int(generator.next() % UInt64(bytes.count))
                    bytes[index] ^= UInt8(1 << (generator.next() % 8))
                }
            case 2:
                let start = Int(generator.next() % UInt64(bytes.count))
                let length = min(bytes.count - start, Int(generator.next() % 64))
                bytes.replaceSubrange(
                    start..<(start + length),
                    with: (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
            default:
                let index = Int(generator.next() % UInt64(bytes.count))
                bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: index)
            }
            let outcome = check(bytes)
            if outcome.errored { errors += 1 }
            if outcome.partial { partials += 1 }
        }
        #expect(errors > 0 && partials > 0)
    }

    @Test func truncatedFileSaysHowMuchWasLost() throws {
        let path = NSTemporaryDirectory() + "trunc-\(UUID().uuidString).atrace"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try write(Self.syntheticEvents(10_000), to: path)
        let valid = try Data(contentsOf: URL(fileURLWithPath: path))
        try valid.prefix(valid.count - 100).write(to: URL(fileURLWithPath: path))
        let reader = try TraceFileReader(path: path)
        #expect(reader.truncatedBytes > 0)
        #expect(reader.problems.contains { $0.contains("bytes lost") })
        #expect(reader.eventCount < 10_000 && reader.eventCount > 5_000)
    }

    @Test func corruptChunkIsSkippedAndNamedByOffset() throws {
        let path = NSTemporaryDirectory() + "skip-\(UUID().uuidString).atrace"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try write(Self.syntheticEvents(20_000), to: path)
        let before = try TraceFileReader(path: path)
        let victim = before.chunks[2]
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[victim.payloadOffset + 10] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        let after = try TraceFileReader(path: path)
        #expect(after.chunks.count == before.chunks.count - 1)
        #expect(after.problems == ["skipped a corrupt chunk at byte \(victim.offset) (checksum mismatch)"])
    }
}

/// A small deterministic random generator, so property tests reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
