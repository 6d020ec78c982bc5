#if canImport(Glibc)
    import Glibc
#endif

/// Writes a `.atrace` file as events arrive: names first seen, then events in chunks of at most
/// `TraceFileFormat.eventsPerChunk`, each with its CRC. Memory is bounded by one chunk per ring; `finish()`
/// flushes and closes, after which the file is complete.
///
/// Cost: ~8 bytes out and about 30 ns per event (varint encoding and a hardware CRC; `asynctop-bench file`).
public final class TraceFileWriter {
    public let path: String
    public private(set) var eventsWritten: UInt64 = 0
    /// Bytes encoded so far (written or waiting in the buffer).
    public var bytesWritten: UInt64 { flushedBytes + UInt64(out.bytes.count) }
    private var flushedBytes: UInt64 = 0
    private var fd: Int32
    private var out = ByteWriter()
    private var writtenNames = WrittenNames()
    private var knownRings = Set<RingIdentity>()
    /// The open chunk of each ring, indexed by ring (rings are numbered densely from 0). An empty chunk
    /// keeps its payload's capacity for the next one.
    private var pending: [PendingChunk] = []

    private struct PendingChunk {
        var payload = ByteWriter()
        var count = 0
        var firstTime: UInt64 = 0
        var lastTime: UInt64 = 0
        var previousID: UInt64 = 0
    }

    /// The names already in the file. Name ids are arena offsets / 4 + 1, so small and dense: a bitmap makes
    /// the per-event check a shift and a load; ids beyond it (only from converters) go to a set.
    private struct WrittenNames {
        private var bits: [UInt64] = []
        private var large = Set<NameID>()
        private static let bitmapLimit: UInt32 = 1 << 22

        @inline(__always)
        func contains(_ id: NameID) -> Bool {
            let raw = id.rawValue
            guard raw < Self.bitmapLimit else { return large.contains(id) }
            let word = Int(raw >> 6)
            return word < bits.count && bits[word] & (1 << UInt64(raw & 63)) != 0
        }

        /// Adds `id`; false if it was already there.
        mutating func insert(_ id: NameID) -> Bool {
            guard !contains(id) else { return false }
            let raw = id.rawValue
            guard raw < Self.bitmapLimit else { return large.insert(id).inserted }
            let word = Int(raw >> 6)
            if word >= bits.count { bits.append(contentsOf: repeatElement(0, count: word + 1 - bits.count)) }
            bits[word] |= 1 << UInt64(raw & 63)
            return true
        }
    }

    /// Creates (or truncates) `path` and writes the header.
    public init(path: String, info: SourceInfo) throws(TraceFileError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        var header = ByteWriter()
        header.bytes.append(contentsOf: TraceFileFormat.magic)
        header.u16(TraceFileFormat.version)
        header.u16(0)
        header.u32(info.vocabulary.packed)
        header.u32(info.calibration.kind.rawValue)
        header.u32(UInt32(bitPattern: info.pid))
        header.u64(info.calibration.nanosecondsPerTick.bitPattern)
        header.u64(info.calibration.epochTicks)
        header.u64(info.calibration.epochMonotonicNanoseconds)
        header.u64(info.calibration.epochUnixNanoseconds)
        header.u64(info.processStartTime)
        let name = Array(info.processName.utf8.prefix(255))
        header.u16(UInt16(name.count))
        header.bytes.append(contentsOf: name)
        let crc = header.bytes.withUnsafeBytes { TraceFileFormat.crc($0) }
        header.u32(crc)
        out.bytes = header.bytes
        try flush()
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Appends a batch read from a source: new names, ring identities, losses, then the events of each ring.
    public func append(_ batch: EventBatch, names: any NameResolver) throws(TraceFileError) {
        for ring in batch.rings where !knownRings.contains(ring) {
            knownRings.insert(ring)
            var payload = ByteWriter()
            payload.varint(UInt64(ring.index))
            payload.varint(ring.threadID)
            payload.varint(UInt64(ring.loop))
            emitChunk(
                .rings, ring: UInt16(truncatingIfNeeded: ring.index), count: 1, first: 0, last: 0,
                payload: payload.bytes)
        }
        writeNames(for: batch, names: names)
        for (ring, missed) in batch.missedByRing.enumerated() where missed > 0 {
            var payload = ByteWriter()
            payload.varint(UInt64(ring))
            payload.varint(missed)
            emitChunk(
                .losses, ring: UInt16(truncatingIfNeeded: ring), count: 1, first: 0, last: 0, payload: payload.bytes)
        }
        batch.events.withUnsafeBufferPointer { events in
            for segment in batch.segments { encode(events[segment.range], ring: segment.ring.index) }
        }
        // Finish every ring's chunk at batch end so the file always holds whole batches in read order
        // (what a replay needs to rebuild exactly the state a live monitor had).
        closeChunks()
        if out.bytes.count >= 1 << 18 { try flush() }
    }

    /// Records the stretch the recorder watched, in trace ticks (see `TraceFileFormat.ChunkType.span`).
    public func recordSpan(startTicks: UInt64, endTicks: UInt64) {
        var payload = ByteWriter()
        payload.varint(startTicks)
        payload.varint(endTicks)
        emitChunk(.span, ring: 0, count: 1, first: startTicks, last: endTicks, payload: payload.bytes)
    }

    /// Writes one event (for callers that build traces without a source, e.g. benchmarks and converters).
    public func append(_ event: TraceEvent, ring: Int = 0) throws(TraceFileError) {
        withUnsafePointer(to: event) { encode(UnsafeBufferPointer(start: $0, count: 1)[...], ring: ring) }
        if out.bytes.count >= 1 << 18 { try flush() }
    }

    /// Adds a name (for callers writing events directly).
    public func appendName(_ id: NameID, bytes: [UInt8]) {
        guard id != .none, writtenNames.insert(id) else { return }
        var payload = ByteWriter()
        payload.varint(UInt64(id.rawValue))
        payload.varint(UInt64(bytes.count))
        payload.bytes.append(contentsOf: bytes)
        emitChunk(.names, ring: 0, count: 1, first: 0, last: 0, payload: payload.bytes)
    }

    /// Flushes everything and closes the file.
    public func finish() throws(TraceFileError) {
        closeChunks()
        try flush()
        fsync(fd)
        close(fd)
        fd = -1
    }

    private func writeNames(for batch: EventBatch, names: any NameResolver) {
        var missing = false
        for event in batch.events {
            if event.name != .none, !writtenNames.contains(event.name) {
                missing = true
                break
            }
            if Self.argIsName(event.kind), event.arg != 0,
                !writtenNames.contains(NameID(rawValue: UInt32(truncatingIfNeeded: event.arg)))
            {
                missing = true
                break
            }
        }
        guard missing else { return }
        var payload = ByteWriter()
        var count = 0
        for (id, bytes) in names.all() where writtenNames.insert(id) {
            payload.varint(UInt64(id.rawValue))
            payload.varint(UInt64(bytes.count))
            payload.bytes.append(contentsOf: bytes)
            count += 1
        }
        if count > 0 { emitChunk(.names, ring: 0, count: count, first: 0, last: 0, payload: payload.bytes) }
    }

    static func argIsName(_ kind: EventKind) -> Bool {
        kind == .callbackFailed || kind == .taskFailed || kind == .failureUnobserved
    }

    /// Appends a ring's run of events to its open chunk, closing the chunk whenever it fills. The chunk is
    /// moved out of `pending` while encoding, so its payload is uniquely held and grows in place.
    private func encode(_ events: Slice<UnsafeBufferPointer<TraceEvent>>, ring: Int) {
        guard !events.isEmpty else { return }
        // The file stores a ring as a u16; keying by the same value keeps the table small whatever the index.
        let ring = Int(UInt16(truncatingIfNeeded: ring))
        if ring >= pending.count {
            pending.append(contentsOf: repeatElement(PendingChunk(), count: ring + 1 - pending.count))
        }
        var chunk = PendingChunk()
        swap(&chunk, &pending[ring])
        for event in events where Self.encode(event, into: &chunk) {
            emit(&chunk, ring: ring)
        }
        swap(&chunk, &pending[ring])
        eventsWritten += UInt64(events.count)
    }

    /// Appends one event to a chunk; true when the chunk is full. At most 63 bytes: six varints, and the raw
    /// kind after a 127 (kinds outside the packed range).
    @inline(__always)
    private static func encode(_ event: TraceEvent, into chunk: inout PendingChunk) -> Bool {
        if chunk.count == 0 {
            chunk.firstTime = event.time
            chunk.lastTime = event.time
            chunk.previousID = 0
        }
        let previousTime = chunk.lastTime
        let previousID = chunk.previousID
        chunk.payload.append(upTo: 70) { p in
            var n = Varint.write(Varint.zigzag(Int64(bitPattern: event.time &- previousTime)), to: p)
            let packed = TraceFileFormat.packKind(event.kind)
            n += Varint.write(packed, to: p + n)
            if packed == 127 { n += Varint.write(UInt64(event.kind.rawValue), to: p + n) }
            n += Varint.write(UInt64(event.loop), to: p + n)
            n += Varint.write(UInt64(event.name.rawValue), to: p + n)
            n += Varint.write(Varint.zigzag(Int64(bitPattern: event.id &- previousID)), to: p + n)
            if TraceFileFormat.argIsTime(event.kind) {
                n += Varint.write(Varint.zigzag(Int64(bitPattern: event.arg &- event.time)), to: p + n)
            } else {
                n += Varint.write(event.arg, to: p + n)
            }
            return n
        }
        chunk.lastTime = event.time
        chunk.previousID = event.id
        chunk.count += 1
        return chunk.count >= TraceFileFormat.eventsPerChunk
    }

    /// Writes out every ring's open chunk, in ring order.
    private func closeChunks() {
        for ring in pending.indices where pending[ring].count > 0 { emit(&pending[ring], ring: ring) }
    }

    /// Writes a chunk out and empties it for reuse.
    private func emit(_ chunk: inout PendingChunk, ring: Int) {
        emitChunk(
            .events, ring: UInt16(ring), count: chunk.count, first: chunk.firstTime, last: chunk.lastTime,
            payload: chunk.payload.bytes)
        chunk.payload.bytes.removeAll(keepingCapacity: true)
        chunk.count = 0
    }

    private func emitChunk(
        _ type: TraceFileFormat.ChunkType, ring: UInt16, count: Int, first: UInt64, last: UInt64, payload: [UInt8]
    ) {
        out.u32(TraceFileFormat.chunkMagic)
        let start = out.bytes.count
        out.u8(type.rawValue)
        out.u8(0)
        out.u16(ring)
        out.u32(UInt32(payload.count))
        out.u32(UInt32(count))
        out.u64(first)
        out.u64(last)
        out.bytes.append(contentsOf: payload)
        let crc = out.bytes.withUnsafeBytes { TraceFileFormat.crc(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        out.u32(crc)
    }

    private func flush() throws(TraceFileError) {
        var offset = 0
        let total = out.bytes.count
        while offset < total {
            let written = out.bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, total - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .cannotWrite(path: path, errno: errno)
            }
            offset += written
        }
        flushedBytes += UInt64(total)
        out.bytes.removeAll(keepingCapacity: true)
    }
}
