import AsyncTopTrace

/// Perfetto protobuf (TrackEvent): a track per loop (a thread) holding its callbacks, microtasks and polls;
/// a track per task holding its lifetime as one slice; counter tracks; names interned once on the sequence;
/// flows as `flow_ids` / `terminating_flow_ids` (fixed64).
///
/// Field numbers (perfetto/trace/trace_packet.proto and track_event/*.proto): Trace.packet 1;
/// TracePacket timestamp 8, trusted_packet_sequence_id 10, track_event 11, interned_data 12,
/// sequence_flags 13, track_descriptor 60; TrackDescriptor uuid 1, name 2, process 3, thread 4,
/// parent_uuid 5, counter 8; ProcessDescriptor pid 1, process_name 6; ThreadDescriptor pid 1, tid 2,
/// thread_name 5; TrackEvent type 9, name_iid 10, track_uuid 11, counter_value 30, double_counter_value 44,
/// flow_ids 47, terminating_flow_ids 48; InternedData event_names 2; EventName iid 1, name 2.
struct PerfettoTraceWriter: TimelineSink {
    var out: OutputFile
    private let pid: Int32
    private let baseNanoseconds: UInt64
    private let names: any NameResolver
    private var event = ProtoBuffer()
    private var packet = ProtoBuffer()
    private var counterUUIDs: [CounterTrack: UInt64] = [:]
    static let sequence: UInt64 = 1
    static let processUUID: UInt64 = 1
    /// Interned ids for the fixed labels, above any NameID.
    static let labelBase: UInt64 = 1 << 33

    init(out: OutputFile, names: any NameResolver, pid: Int32, processName: String, baseNanoseconds: UInt64) {
        self.out = out
        self.pid = pid
        self.names = names
        self.baseNanoseconds = baseNanoseconds
        var process = ProtoBuffer()
        process.field(1, varint: UInt64(UInt32(bitPattern: pid)))
        process.field(6, string: TerminalSafeText.make(processName))
        var descriptor = ProtoBuffer()
        descriptor.field(1, varint: Self.processUUID)
        descriptor.field(3, message: process)
        // The first packet clears incremental state and interns every name and label.
        var interned = ProtoBuffer()
        func intern(_ iid: UInt64, _ text: String) {
            var name = ProtoBuffer()
            name.field(1, varint: iid)
            name.field(2, string: text)
            interned.field(2, message: name)
        }
        for (id, bytes) in names.all() { intern(UInt64(id.rawValue), TerminalSafeText.make(bytes)) }
        for category in [SliceCategory.callback, .microtask, .poll] { intern(Self.labelBase + UInt64(category.rawValue), category.label.description) }
        for label in [InstantLabel.wake, .enqueue, .timerFired, .failure, .mark] { intern(Self.labelBase + 16 + UInt64(label.rawValue), label.text.description) }
        var first = ProtoBuffer()
        first.field(10, varint: Self.sequence)
        first.field(13, varint: 1)
        first.field(12, message: interned)
        first.field(60, message: descriptor)
        writePacket(first)
    }

    private mutating func writePacket(_ body: ProtoBuffer) {
        out.buffer.append(0x0A)  // Trace.packet, length-delimited
        Varint.append(UInt64(body.bytes.count), to: &out.buffer)
        out.buffer.append(contentsOf: body.bytes)
    }

    private mutating func writeDescriptor(_ descriptor: ProtoBuffer) {
        packet.removeAll()
        packet.field(10, varint: Self.sequence)
        packet.field(60, message: descriptor)
        writePacket(packet)
    }

    /// Writes `event` (already filled) as a TrackEvent packet at `ns`.
    private mutating func writeEvent(at ns: UInt64) {
        packet.removeAll()
        packet.field(8, varint: baseNanoseconds &+ ns)
        packet.field(10, varint: Self.sequence)
        packet.field(13, varint: 2)
        packet.field(11, message: event)
        writePacket(packet)
    }

    static func loopUUID(_ loop: UInt16) -> UInt64 { 0x1000 + UInt64(loop) }
    static func taskUUID(_ task: UInt64) -> UInt64 { 1 << 62 | (task & (1 << 62 - 1)) }

    mutating func thread(loop: UInt16, threadID: UInt64, name: String) {
        var thread = ProtoBuffer()
        thread.field(1, varint: UInt64(UInt32(bitPattern: pid)))
        thread.field(2, varint: threadID)
        thread.field(5, string: name)
        var descriptor = ProtoBuffer()
        descriptor.field(1, varint: Self.loopUUID(loop))
        descriptor.field(5, varint: Self.processUUID)
        descriptor.field(4, message: thread)
        writeDescriptor(descriptor)
    }

    mutating func counterTrack(_ track: CounterTrack, name: String) {
        let uuid = 0x10_0000 + UInt64(counterUUIDs.count)
        counterUUIDs[track] = uuid
        var descriptor = ProtoBuffer()
        descriptor.field(1, varint: uuid)
        descriptor.field(2, string: name)
        descriptor.field(5, varint: Self.processUUID)
        descriptor.field(8, message: ProtoBuffer())
        writeDescriptor(descriptor)
    }

    mutating func sliceBegin(loop: UInt16, at ns: UInt64, name: NameID, category: SliceCategory, id: UInt64, terminatingFlow: UInt64?) {
        event.removeAll()
        event.field(9, varint: 1)
        event.field(11, varint: Self.loopUUID(loop))
        event.field(10, varint: name == .none ? Self.labelBase + UInt64(category.rawValue) : UInt64(name.rawValue))
        if let flow = terminatingFlow { event.field(48, fixed64: flow) }
        writeEvent(at: ns)
    }

    mutating func sliceEnd(loop: UInt16, at ns: UInt64) {
        event.removeAll()
        event.field(9, varint: 2)
        event.field(11, varint: Self.loopUUID(loop))
        writeEvent(at: ns)
    }

    mutating func instant(loop: UInt16, at ns: UInt64, name: NameID, label: InstantLabel, id: UInt64, flow: UInt64?) {
        event.removeAll()
        event.field(9, varint: 3)
        event.field(11, varint: Self.loopUUID(loop))
        event.field(10, varint: name == .none || label == .failure ? Self.labelBase + 16 + UInt64(label.rawValue) : UInt64(name.rawValue))
        if let flow { event.field(47, fixed64: flow) }
        writeEvent(at: ns)
    }

    mutating func taskBegin(task: UInt64, at ns: UInt64, name: NameID, parent: UInt64) {
        var descriptor = ProtoBuffer()
        descriptor.field(1, varint: Self.taskUUID(task))
        descriptor.field(2, string: names.bytes(for: name).map { TerminalSafeText.make($0) } ?? "task \(task)")
        descriptor.field(5, varint: Self.processUUID)
        writeDescriptor(descriptor)
        event.removeAll()
        event.field(9, varint: 1)
        event.field(11, varint: Self.taskUUID(task))
        event.field(10, varint: name == .none ? Self.labelBase + UInt64(SliceCategory.poll.rawValue) : UInt64(name.rawValue))
        writeEvent(at: ns)
    }

    mutating func taskEnd(task: UInt64, at ns: UInt64, outcome: EventKind) {
        event.removeAll()
        event.field(9, varint: 2)
        event.field(11, varint: Self.taskUUID(task))
        writeEvent(at: ns)
    }

    mutating func counter(_ track: CounterTrack, at ns: UInt64, value: Double) {
        guard let uuid = counterUUIDs[track] else { return }
        event.removeAll()
        event.field(9, varint: 4)
        event.field(11, varint: uuid)
        event.field(44, double: value)
        writeEvent(at: ns)
    }

    mutating func close() throws(TraceFileError) { try out.close() }
}
