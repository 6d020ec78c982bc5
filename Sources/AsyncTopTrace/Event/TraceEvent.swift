/// One trace event: the 32-byte record every producer writes and every reader copies out.
///
/// Layout (little-endian, two per cache line), identical in memory, in a region and in a ring slot:
///
///     u64 time   ticks since the region's epoch (the region header says ns per tick)
///     u16 kind   `EventKind`
///     u16 loop   loop or producer id
///     u32 name   `NameID` (0 = none)
///     u64 id     task / timer / callback / fd / counter id
///     u64 arg    kind-specific (parent id, deadline, lateness, depth, count, error name)
///
/// Durations are never stored: consumers pair begin and end events.
@frozen
public struct TraceEvent: Hashable, Sendable {
    public var time: UInt64
    public var kind: EventKind
    public var loop: UInt16
    public var name: NameID
    public var id: UInt64
    public var arg: UInt64

    @inlinable
    public init(time: UInt64, kind: EventKind, loop: UInt16, name: NameID = .none, id: UInt64 = 0, arg: UInt64 = 0) {
        self.time = time
        self.kind = kind
        self.loop = loop
        self.name = name
        self.id = id
        self.arg = arg
    }

    /// The record's size in bytes; also the ring slot size.
    public static let byteCount = 32

    /// The second word of the record: kind, loop and name packed as they lie in memory.
    @inlinable
    var packedWord: UInt64 {
        UInt64(kind.rawValue) | UInt64(loop) << 16 | UInt64(name.rawValue) << 32
    }

    /// Rebuilds an event from its four 64-bit words.
    @inlinable
    init(words w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        self.init(
            time: w0,
            kind: EventKind(rawValue: UInt16(truncatingIfNeeded: w1)),
            loop: UInt16(truncatingIfNeeded: w1 >> 16),
            name: NameID(rawValue: UInt32(truncatingIfNeeded: w1 >> 32)),
            id: w2,
            arg: w3
        )
    }

    /// Writes the record's 32 bytes, little-endian, at `pointer`.
    public func store(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: time.littleEndian, toByteOffset: 0, as: UInt64.self)
        pointer.storeBytes(of: packedWord.littleEndian, toByteOffset: 8, as: UInt64.self)
        pointer.storeBytes(of: id.littleEndian, toByteOffset: 16, as: UInt64.self)
        pointer.storeBytes(of: arg.littleEndian, toByteOffset: 24, as: UInt64.self)
    }

    /// Reads a record from 32 little-endian bytes at `pointer` (no alignment required).
    public init(loadingFrom pointer: UnsafeRawPointer) {
        self.init(
            words: UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        )
    }
}

/// The id of an interned name in a region's `NameTable`; 0 means no name.
@frozen
public struct NameID: RawRepresentable, Hashable, Sendable, Comparable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// No name. An inlinable constant: using it from another module costs no global accessor call.
    @inlinable public static var none: NameID { NameID(rawValue: 0) }
    public static func < (a: NameID, b: NameID) -> Bool { a.rawValue < b.rawValue }
}
