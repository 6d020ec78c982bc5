import CAsyncTopSupport

/// The `.atrace` file format, version 1. Everything little-endian.
///
///     header   "ATRACE1\n"  u16 format version  u16 0  u32 vocabulary
///              u32 clock kind  i32 pid  f64 ns/tick  u64 epoch ticks  u64 epoch monotonic ns
///              u64 epoch unix ns  u64 process start time  u16 name length  name bytes
///              u32 CRC-32C of all the above
///     chunk*   u32 "ACHK"  u8 type  u8 0  u16 ring  u32 payload length  u32 count
///              u64 first time  u64 last time  payload  u32 CRC-32C of type…payload
///
/// Chunk types: events (compact encoding below), names (varint id, varint length, bytes), losses (varint
/// ring, varint count), rings (varint ring, varint thread id, varint loop).
///
/// An event is six varints: zigzag(time − previous time), packed kind, loop, name, zigzag(id − previous
/// id), and arg (for kinds whose arg is a time, zigzag(arg − time)). The packed kind is `category << 4 |
/// index` for the vocabulary's kinds (one byte), or 127 followed by the raw kind. Demo-shaped traces take
/// 7–10 bytes an event.
public enum TraceFileFormat {
    public static let magic: [UInt8] = Array("ATRACE1\n".utf8)
    public static let chunkMagic: UInt32 = 0x4B48_4341  // "ACHK"
    public static let version: UInt16 = 1
    public static let chunkHeaderSize = 32
    public static let maxChunkPayload = 16 << 20
    /// Events per chunk the writer aims for (bounded memory, cheap seeking).
    public static let eventsPerChunk = 4096

    public enum ChunkType: UInt8, Sendable {
        case events = 1
        case names = 2
        case losses = 3
        case rings = 4
        /// The stretch a recorder watched (varints: start, end; trace ticks like event times), which may run past
        /// the events on either side: a program idle for the rest of an 8 s recording was recorded for 8 s. A flight
        /// recording (`--last`) has one per window it kept: between two windows, the file has no events (a gap).
        case span = 5
    }

    /// The CRC-32C the header and chunks end with (public for tools that repair or fuzz files).
    public static func crc(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        asynctop_crc32c(0, bytes.baseAddress, bytes.count)
    }

    static func packKind(_ kind: EventKind) -> UInt64 {
        let category = kind.rawValue >> 8
        let index = kind.rawValue & 0xFF
        if category < 7, index < 16, kind.rawValue != 0 { return UInt64(category << 4 | index) }
        return 127
    }

    static func unpackKind(_ packed: UInt64) -> EventKind {
        EventKind(rawValue: UInt16(packed >> 4) << 8 | UInt16(packed & 0xF))
    }

    /// Kinds whose arg is a point in time, stored relative to the event's own time.
    static func argIsTime(_ kind: EventKind) -> Bool { kind == .timerArmed }
}

/// LEB128 varints (7 bits a byte, low bits first), as `.atrace` files and protobuf both encode integers.
public enum Varint {
    @inlinable @inline(__always)
    public static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { scratch in
            let count = write(value, to: scratch.baseAddress!)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<count]))
        }
    }

    /// Writes `value` at `p`, which must have room for 10 bytes; returns the bytes written. For encoders that
    /// write a whole record through a pointer (one capacity check per record instead of one per byte).
    @inlinable @inline(__always)
    public static func write(_ value: UInt64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        var v = value
        var n = 0
        while v >= 0x80 {
            p[n] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            n += 1
        }
        p[n] = UInt8(truncatingIfNeeded: v)
        return n + 1
    }

    /// Zigzag-encodes a signed value for `write` (small magnitudes of either sign take few bytes).
    @inlinable @inline(__always)
    public static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
}

/// Appends little-endian integers and varints to a byte buffer.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    @inline(__always)
    mutating func varint(_ value: UInt64) { Varint.append(value, to: &bytes) }

    @inline(__always)
    mutating func zigzag(_ value: Int64) { varint(Varint.zigzag(value)) }

    /// Appends what `body` writes at a pointer to `capacity` bytes of scratch (it returns the count): a
    /// record of several varints costs one copy instead of a capacity check per byte.
    @inline(__always)
    mutating func append(upTo capacity: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { scratch in
            let count = body(scratch.baseAddress!)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<count]))
        }
    }
}

/// Reads little-endian integers and varints from bytes it does not trust: every read is bounds-checked and
/// throws `.malformed` past the end or on an over-long varint.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    struct Malformed: Error {}

    var remaining: Int { bytes.count - offset }

    mutating func u8() throws(Malformed) -> UInt8 {
        guard offset < bytes.count else { throw Malformed() }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func fixed<T: FixedWidthInteger>(_: T.Type) throws(Malformed) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw Malformed() }
        defer { offset += size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    mutating func take(_ count: Int) throws(Malformed) -> UnsafeRawBufferPointer {
        guard count >= 0, remaining >= count else { throw Malformed() }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    @inline(__always)
    mutating func varint() throws(Malformed) -> UInt64 { try varint(checkingEnd: true) }

    /// A varint; with `checkingEnd` false the caller promises 10 bytes remain (the most a varint may take),
    /// which saves a comparison per byte in bulk decoding.
    @inline(__always)
    mutating func varint(checkingEnd: Bool) throws(Malformed) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard !checkingEnd || offset < bytes.count, shift < 64 else { throw Malformed() }
            let byte = bytes[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    @inline(__always)
    mutating func zigzag(checkingEnd: Bool = true) throws(Malformed) -> Int64 {
        let raw = try varint(checkingEnd: checkingEnd)
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }
}

/// Problems with a trace file. Each says where and what to do.
public enum TraceFileError: Error, Hashable, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, errno: Int32)
    case cannotWrite(path: String, errno: Int32)
    case empty(path: String)
    case notATrace(path: String)
    case unsupportedVersion(path: String, version: UInt16)
    case unsupportedVocabulary(path: String, version: VocabularyVersion)
    case corruptHeader(path: String, reason: String)
    case corruptChunk(path: String, offset: Int, reason: String)
    case outputIsInput(path: String, input: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let e): return "cannot open \(path): \(errnoText(e))"
        case .cannotWrite(let path, let e): return "cannot write \(path): \(errnoText(e))"
        case .empty(let path): return "\(path) is empty: the recording was never written"
        case .notATrace(let path): return "\(path) is not an asynctop trace (.atrace)"
        case .unsupportedVersion(let path, let v):
            return
                "\(path) is trace format version \(v); this asynctop reads version \(TraceFileFormat.version). Use a "
                + "newer asynctop"
        case .unsupportedVocabulary(let path, let v):
            return "\(path) uses event vocabulary \(v); this asynctop reads \(EventKind.vocabularyVersion.major).x"
        case .corruptHeader(let path, let reason): return "\(path): the header is corrupt (\(reason))"
        case .corruptChunk(let path, let offset, let reason):
            return "\(path): corrupt chunk at byte \(offset) (\(reason))"
        case .outputIsInput(let path, let input):
            return "\(path) is the recording being read (\(input)): write the export to another file"
        }
    }
}
