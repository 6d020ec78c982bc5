import AsyncTopTrace
import Testing

@Suite struct EventRecordTests {
    @Test func recordIsThirtyTwoBytesAndRoundTripsThroughBytes() {
        #expect(MemoryLayout<TraceEvent>.size == 32)
        #expect(MemoryLayout<TraceEvent>.stride == 32)
        let event = TraceEvent(
            time: 0x0102_0304_0506_0708, kind: .timerFired, loop: 0xBEEF, name: NameID(rawValue: 0xDEAD_BEEF),
            id: .max, arg: 42)
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeMutableBytes { event.store(to: $0.baseAddress!) }
        // Little-endian layout of DESIGN.md: u64 time, u16 kind, u16 loop, u32 name, u64 id, u64 arg.
        #expect(bytes[0..<8] == [0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01])
        #expect(bytes[8..<10] == [0x02, 0x03])
        #expect(bytes[10..<12] == [0xEF, 0xBE])
        #expect(bytes[12..<16] == [0xEF, 0xBE, 0xAD, 0xDE])
        #expect(bytes[24] == 42)
        let back = bytes.withUnsafeBytes { TraceEvent(loadingFrom: $0.baseAddress!) }
        #expect(back == event)
    }

    @Test func unknownKindsAreKeptAndNamed() {
        let kind = EventKind(rawValue: 0x7777)
        #expect(!kind.isKnown)
        #expect(kind.description == "unknown_0x7777")
        #expect(EventKind.taskSpawned.description == "task_spawned")
        #expect(Set(EventKind.all.map(\.kind.rawValue)).count == EventKind.all.count)
    }

    @Test func emittedEventsReadBackExactly() throws {
        let region = try Region(layout: RegionLayout(ringCount: 2, ringCapacity: 64, namesCapacity: 4096))
        let tracer = region.makeTracer(loop: 3)
        let name = region.names.intern("task-a")
        tracer.emit(.taskSpawned, loop: 3, name: name, id: 7, arg: 1)
        tracer.emit(.taskCompleted, loop: 3, id: 7)
        let source = InProcessSource(region: region)
        var batch = EventBatch()
        #expect(source.read(into: &batch, limit: .max) == .live)
        #expect(batch.events.map(\.kind) == [.taskSpawned, .taskCompleted])
        #expect(batch.events[0].name == name && batch.events[0].id == 7 && batch.events[0].arg == 1)
        #expect(batch.events[0].loop == 3)
        #expect(batch.events[0].time <= batch.events[1].time)
        #expect(batch.segments.count == 1 && batch.segments[0].ring.loop == 3)
        #expect(source.names.string(for: name) == "task-a")
        region.close()
        batch.removeAll()
        #expect(source.read(into: &batch, limit: .max) != .live)
    }

    @Test func switchedOffTracingWritesNothing() throws {
        let region = try Region(layout: RegionLayout(ringCount: 1, ringCapacity: 64, namesCapacity: 64))
        let tracer = region.makeTracer(loop: 0)
        Tracer.isEnabled = false
        tracer.emit(.mark, loop: 0)
        Tracer.isEnabled = true
        #expect(tracer.eventsWritten == 0)
        tracer.emit(.mark, loop: 0)
        #expect(tracer.eventsWritten == 1)
    }

    @Test func tracersBeyondThePoolGetNoRingAndAreCounted() throws {
        let region = try Region(layout: RegionLayout(ringCount: 2, ringCapacity: 16, namesCapacity: 64))
        #expect(region.makeTracer(loop: 0).ringIndex == 0)
        #expect(region.makeTracer(loop: 1).ringIndex == 1)
        let extra = region.makeTracer(loop: 2)
        #expect(extra.ringIndex == nil)
        extra.emit(.mark, loop: 2)  // must be harmless
        let source = InProcessSource(region: region)
        var batch = EventBatch()
        _ = source.read(into: &batch, limit: .max)
        #expect(batch.events.isEmpty)
        #expect(batch.rings.count == 2)
    }

    @Test func terminalSafeTextEscapesControlsAndKeepsText() {
        #expect(TerminalSafeText.make("fetch users") == "fetch users")
        #expect(TerminalSafeText.make("naïve 日本") == "naïve 日本")
        let hostile: [UInt8] = Array("a\u{1B}]0;pwned\u{07}b".utf8) + [0xFF, 0x9B] + Array("\u{202E}c".utf8)
        let safe = TerminalSafeText.make(hostile)
        #expect(!safe.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        #expect(safe.contains("\\x1B") && safe.contains("\\x07") && safe.contains("\\u{202E}"))
        #expect(safe.contains("\u{FFFD}"))
    }
}
