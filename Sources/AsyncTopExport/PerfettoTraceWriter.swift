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
///
/// Cost: an event's packet is encoded once, straight into the output buffer (`TrackEventPacket`); only
/// descriptors (once per loop, task and counter track) go through `ProtoBuffer` and a copy.
struct PerfettoTraceWriter: TimelineSink {
    var out: OutputFile
    private let pid: Int32
    private let baseNanoseconds: UInt64
    private let names: any NameResolver
    /// Scratch for descriptors, reused so a task's descriptor allocates nothing.
    private var descriptor = ProtoBuffer()
    private var packet = ProtoBuffer()
    /// Task track names by NameID, made terminal-safe once.
    private var taskNames: [NameID: [UInt8]] = [:]
    /// Tasks whose track has been described.
    private var announcedTasks: Set<UInt64> = []
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
        for category in SliceCategory.allCases {
            intern(Self.labelBase + UInt64(category.rawValue), category.label.description)
        }
        for label in [InstantLabel.wake, .enqueue, .timerFired, .failure, .mark] {
            intern(Self.labelBase + 16 + UInt64(label.rawValue), label.text.description)
        }
        var first = ProtoBuffer()
        first.field(10, varint: Self.sequence)
        first.field(13, varint: 1)
        first.field(12, message: interned)
        first.field(60, message: descriptor)
        writePacket(first)
    }

    private mutating func writePacket(_ body: ProtoBuffer) {
        out.append(byte: 0x0A)  // Trace.packet, length-delimited
        out.append(upTo: 10) { Varint.write(UInt64(body.bytes.count), to: $0) }
        out.append(body.bytes)
    }

    /// Writes `descriptor` (already filled) as a TrackDescriptor packet.
    private mutating func writeDescriptor() {
        packet.removeAll()
        packet.field(10, varint: Self.sequence)
        packet.field(60, message: descriptor)
        writePacket(packet)
    }

    /// Writes a TrackEvent packet at `ns` whose event fields `body` encodes.
    @inline(__always)
    private mutating func writeEvent(at ns: UInt64, _ body: (inout TrackEventPacket) -> Void) {
        let timestamp = baseNanoseconds &+ ns
        out.append(upTo: TrackEventPacket.maxSize) { start in
            var packet = TrackEventPacket(start: start, timestamp: timestamp)
            body(&packet)
            return packet.finish()
        }
    }

    static func loopUUID(_ loop: UInt16) -> UInt64 { 0x1000 + UInt64(loop) }
    static func taskUUID(_ task: UInt64) -> UInt64 { 1 << 62 | (task & (1 << 62 - 1)) }
    static func counterUUID(_ index: Int) -> UInt64 { 0x10_0000 + UInt64(index) }
    static func spanUUID(_ span: UInt32) -> UInt64 { 2 << 61 | UInt64(span) }

    mutating func thread(loop: UInt16, threadID: UInt64, name: String) {
        var thread = ProtoBuffer()
        thread.field(1, varint: UInt64(UInt32(bitPattern: pid)))
        thread.field(2, varint: threadID)
        thread.field(5, string: name)
        descriptor.removeAll()
        descriptor.field(1, varint: Self.loopUUID(loop))
        descriptor.field(5, varint: Self.processUUID)
        descriptor.field(4, message: thread)
        writeDescriptor()
    }

    mutating func counterTrack(_ track: CounterTrack, index: Int, name: String) {
        descriptor.removeAll()
        descriptor.field(1, varint: Self.counterUUID(index))
        descriptor.field(2, string: name)
        descriptor.field(5, varint: Self.processUUID)
        descriptor.field(8, message: ProtoBuffer())
        writeDescriptor()
    }

    mutating func sliceBegin(
        loop: UInt16, at ns: UInt64, name: NameID, category: SliceCategory, id: UInt64, terminatingFlow: UInt64?
    ) {
        writeEvent(at: ns) { event in
            event.field(9, varint: 1)
            event.field(11, varint: Self.loopUUID(loop))
            event.field(10, varint: name == .none ? Self.labelBase + UInt64(category.rawValue) : UInt64(name.rawValue))
            if let flow = terminatingFlow { event.field(48, fixed64: flow) }
        }
    }

    mutating func sliceEnd(loop: UInt16, at ns: UInt64) {
        writeEvent(at: ns) { event in
            event.field(9, varint: 2)
            event.field(11, varint: Self.loopUUID(loop))
        }
    }

    mutating func instant(loop: UInt16, at ns: UInt64, name: NameID, label: InstantLabel, id: UInt64, flow: UInt64?) {
        writeEvent(at: ns) { event in
            event.field(9, varint: 3)
            event.field(11, varint: Self.loopUUID(loop))
            let labelled = name == .none || label == .failure
            event.field(10, varint: labelled ? Self.labelBase + 16 + UInt64(label.rawValue) : UInt64(name.rawValue))
            if let flow { event.field(47, fixed64: flow) }
        }
    }

    mutating func taskBegin(task: UInt64, at ns: UInt64, name: NameID, parent: UInt64) {
        announcedTasks.insert(task)
        descriptor.removeAll()
        descriptor.field(1, varint: Self.taskUUID(task))
        if let text = taskName(name) {
            descriptor.field(2, bytes: text)
        } else {
            descriptor.field(2, string: "task \(task)")
        }
        descriptor.field(5, varint: Self.processUUID)
        writeDescriptor()
        writeEvent(at: ns) { event in
            event.field(9, varint: 1)
            event.field(11, varint: Self.taskUUID(task))
            let unnamed = Self.labelBase + UInt64(SliceCategory.poll.rawValue)
            event.field(10, varint: name == .none ? unnamed : UInt64(name.rawValue))
        }
    }

    /// A task track's name: the name made terminal-safe, cached; nil when the id names nothing.
    private mutating func taskName(_ id: NameID) -> [UInt8]? {
        if let cached = taskNames[id] { return cached }
        guard id != .none, let bytes = names.bytes(for: id) else { return nil }
        let text = Array(TerminalSafeText.make(bytes).utf8)
        taskNames[id] = text
        return text
    }

    mutating func taskEnd(task: UInt64, at ns: UInt64, name: NameID, outcome: EventKind) {
        writeEvent(at: ns) { event in
            event.field(9, varint: 2)
            event.field(11, varint: Self.taskUUID(task))
        }
    }

    /// A span as a slice with its attributes as debug annotations (DebugAnnotation name 10, int_value 4,
    /// string_value 6; TrackEvent debug_annotations 4), plus its task, parent span and status. Spans are rare next
    /// to jobs, so they go through `ProtoBuffer`.
    mutating func span(_ span: SpanSlice) {
        let track = span.onTaskTrack ? Self.taskUUID(span.task) : Self.spanUUID(span.id)
        if !span.onTaskTrack || !announcedTasks.contains(span.task) {
            if span.onTaskTrack { announcedTasks.insert(span.task) }
            descriptor.removeAll()
            descriptor.field(1, varint: track)
            descriptor.field(2, string: span.onTaskTrack ? "task \(span.task)" : "span \(span.id)")
            descriptor.field(5, varint: Self.processUUID)
            writeDescriptor()
        }
        var event = ProtoBuffer()
        event.field(9, varint: 1)
        event.field(11, varint: track)
        if span.name != .none { event.field(10, varint: UInt64(span.name.rawValue)) }
        func annotation(_ key: String, text: String? = nil, number: Int64? = nil) {
            var item = ProtoBuffer()
            item.field(10, string: key)
            if let number { item.field(4, varint: UInt64(bitPattern: number)) }
            if let text { item.field(6, string: text) }
            event.field(4, message: item)
        }
        annotation("task", number: Int64(bitPattern: span.task))
        if span.parent != 0 { annotation("parent_span", number: Int64(span.parent)) }
        annotation("status", text: span.failed ? "error" : "ok")
        for (key, value) in span.attributes {
            switch value {
            case .number(let number): annotation(key, number: number)
            case .text(let text): annotation(key, text: text)
            }
        }
        writeTrackEvent(at: span.beganAt, event)
        var end = ProtoBuffer()
        end.field(9, varint: 2)
        end.field(11, varint: track)
        writeTrackEvent(at: span.endedAt, end)
    }

    /// Writes a TrackEvent built in a `ProtoBuffer` (for events larger than `TrackEventPacket` holds).
    private mutating func writeTrackEvent(at ns: UInt64, _ event: ProtoBuffer) {
        packet.removeAll()
        packet.field(8, varint: baseNanoseconds &+ ns)
        packet.field(10, varint: Self.sequence)
        packet.field(11, message: event)
        writePacket(packet)
    }

    mutating func counter(_ index: Int, at ns: UInt64, value: Double) {
        writeEvent(at: ns) { event in
            event.field(9, varint: 4)
            event.field(11, varint: Self.counterUUID(index))
            event.field(44, double: value)
        }
    }

    mutating func close() throws(TraceFileError) { try out.close() }
}

/// One TracePacket holding a TrackEvent, encoded in place at a pointer: timestamp, sequence id and flags,
/// then the event's fields, then both lengths patched in. Each length is one byte because the packet has a
/// small fixed bound (`maxSize`, under 128): the packet's tag, length and header fields take at most 19 bytes
/// and an event's fields at most 34 (type, track, name, one flow id — or type, track, value), so nothing
/// is measured or copied twice.
struct TrackEventPacket {
    /// Bytes the caller reserves: the largest packet, with its tag and length byte.
    static let maxSize = 64
    private let start: UnsafeMutablePointer<UInt8>
    private var cursor: UnsafeMutablePointer<UInt8>
    /// Where the TrackEvent's length byte goes.
    private var eventLength: UnsafeMutablePointer<UInt8>

    @inline(__always)
    init(start: UnsafeMutablePointer<UInt8>, timestamp: UInt64) {
        self.start = start
        start[0] = 0x0A  // Trace.packet, length-delimited; start[1] is its length
        cursor = start + 2
        eventLength = start
        field(8, varint: timestamp)
        field(10, varint: PerfettoTraceWriter.sequence)
        field(13, varint: 2)  // SEQ_NEEDS_INCREMENTAL_STATE
        cursor[0] = 11 << 3 | 2  // TracePacket.track_event, length-delimited
        eventLength = cursor + 1
        cursor += 2
    }

    @inline(__always)
    private mutating func varint(_ value: UInt64) { cursor += Varint.write(value, to: cursor) }

    @inline(__always)
    mutating func field(_ number: UInt64, varint value: UInt64) {
        varint(number << 3)
        varint(value)
    }

    @inline(__always)
    mutating func field(_ number: UInt64, fixed64 value: UInt64) {
        varint(number << 3 | 1)
        UnsafeMutableRawPointer(cursor).storeBytes(of: value.littleEndian, as: UInt64.self)
        cursor += 8
    }

    @inline(__always)
    mutating func field(_ number: UInt64, double value: Double) { field(number, fixed64: value.bitPattern) }

    /// Patches the lengths in; returns the packet's size.
    @inline(__always)
    mutating func finish() -> Int {
        let size = cursor - start
        precondition(size <= Self.maxSize, "TrackEvent packet overran its bound")
        eventLength.pointee = UInt8(truncatingIfNeeded: cursor - eventLength - 1)
        start[1] = UInt8(truncatingIfNeeded: size - 2)
        return size
    }
}
