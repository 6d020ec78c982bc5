/// Where everything lies in a region: the header, the rings and the name arena.
///
/// One layout serves both homes of a region (anonymous memory in-process, a shared file for attach).
/// Writers compute it from their parameters; readers rebuild it from a header they do not trust, with
/// `RegionLayout(validatingHeaderAt:size:)`, which checks every offset and length against the mapping.
public struct RegionLayout: Hashable, Sendable {
    /// "ASYNCTOP" read as a little-endian u64.
    public static let magic: UInt64 = 0x504F_5443_4E59_5341
    /// Bumped whenever a byte of this layout moves.
    public static let layoutVersion: UInt32 = 1
    public static let headerSize = 4096
    public static let ringHeaderSize = 128
    public static let maxRingCount = 1024
    public static let maxRingCapacity = 1 << 24
    public static let processNameCapacity = 64

    /// Byte offsets of header fields (public for tools that build or fuzz regions).
    public enum Field {
        public static let magic = 0, layoutVersion = 8, vocabulary = 12, pid = 16, uid = 20
        public static let processStartTime = 24, clockKind = 32, ringCount = 36, nanosecondsPerTick = 40
        public static let epochTicks = 48, epochMonotonicNanoseconds = 56, epochUnixNanoseconds = 64
        public static let ringCapacity = 72, ringsOffset = 80, ringStride = 88, namesOffset = 96
        public static let namesCapacity = 104, totalSize = 112, state = 120, ringsClaimed = 128
        public static let namesUsed = 136, namesDropped = 144, ringlessEmits = 152, processName = 160
    }
    /// Byte offsets inside a ring header.
    enum RingField {
        static let head = 0, threadID = 64, loopID = 72
    }

    public let ringCount: Int
    public let ringCapacity: Int
    public let namesCapacity: Int

    public var ringsOffset: Int { Self.headerSize }
    public var ringStride: Int { Self.ringHeaderSize + ringCapacity * TraceEvent.byteCount }
    public var namesOffset: Int { ringsOffset + ringCount * ringStride }
    public var totalSize: Int { namesOffset + namesCapacity }

    /// A layout for a new region. Capacity is rounded up to a power of two.
    public init(ringCount: Int, ringCapacity: Int, namesCapacity: Int) {
        precondition(ringCount > 0 && ringCount <= Self.maxRingCount, "ringCount out of range")
        precondition(ringCapacity >= 2 && ringCapacity <= Self.maxRingCapacity, "ringCapacity out of range")
        self.ringCount = ringCount
        var capacity = 1
        while capacity < ringCapacity { capacity <<= 1 }
        self.ringCapacity = capacity
        self.namesCapacity = (namesCapacity + 7) & ~7
    }

    /// Rebuilds the layout from the header of a mapping of `size` bytes, checking everything:
    /// magic, versions, that the capacity is a power of two, that every offset the header states equals the
    /// one this build computes, and that the whole region fits in the mapping.
    public init(validatingHeaderAt base: UnsafeRawPointer, size: Int) throws(RegionError) {
        guard size >= Self.headerSize else { throw .truncated(size: size, needed: Self.headerSize) }
        func u64(_ offset: Int) -> UInt64 { base.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
        func u32(_ offset: Int) -> UInt32 { base.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
        guard u64(Field.magic) == Self.magic else { throw .badMagic }
        let layout = u32(Field.layoutVersion)
        guard layout == Self.layoutVersion else { throw .unsupportedLayout(layout) }
        let vocabulary = VocabularyVersion(packed: u32(Field.vocabulary))
        guard vocabulary.major == EventKind.vocabularyVersion.major else {
            throw .unsupportedVocabulary(vocabulary)
        }
        let ringCount = Int(u32(Field.ringCount))
        let capacity = Int(u32(Field.ringCapacity))
        guard ringCount > 0, ringCount <= Self.maxRingCount else { throw .corruptHeader("ring count \(ringCount)") }
        guard capacity >= 2, capacity <= Self.maxRingCapacity, capacity & (capacity - 1) == 0 else {
            throw .corruptHeader("ring capacity \(capacity)")
        }
        let names = u64(Field.namesCapacity)
        guard names <= UInt64(Int32.max) else { throw .corruptHeader("name arena of \(names) bytes") }
        let candidate = RegionLayout(ringCount: ringCount, ringCapacity: capacity, namesCapacity: Int(names))
        guard Int(names) == candidate.namesCapacity,
            u64(Field.ringsOffset) == UInt64(candidate.ringsOffset),
            u64(Field.ringStride) == UInt64(candidate.ringStride),
            u64(Field.namesOffset) == UInt64(candidate.namesOffset),
            u64(Field.totalSize) == UInt64(candidate.totalSize)
        else { throw .corruptHeader("offsets do not match the stated ring count and capacity") }
        guard candidate.totalSize <= size else { throw .truncated(size: size, needed: candidate.totalSize) }
        let rate = Double(bitPattern: u64(Field.nanosecondsPerTick))
        guard rate.isFinite, rate > 0, rate < 1e6 else { throw .corruptHeader("clock rate \(rate) ns/tick") }
        self = candidate
    }

    /// Writes a fresh header (everything but the atomics, which start at zero in fresh memory).
    func writeHeader(
        at base: UnsafeMutableRawPointer, pid: Int32, uid: UInt32, processStartTime: UInt64,
        processName: String, calibration: ClockCalibration
    ) {
        func put<T>(_ value: T, _ offset: Int) { base.storeBytes(of: value, toByteOffset: offset, as: T.self) }
        put(Self.layoutVersion, Field.layoutVersion)
        put(EventKind.vocabularyVersion.packed, Field.vocabulary)
        put(UInt32(bitPattern: pid), Field.pid)
        put(uid, Field.uid)
        put(processStartTime, Field.processStartTime)
        put(calibration.kind.rawValue, Field.clockKind)
        put(UInt32(ringCount), Field.ringCount)
        put(calibration.nanosecondsPerTick.bitPattern, Field.nanosecondsPerTick)
        put(calibration.epochTicks, Field.epochTicks)
        put(calibration.epochMonotonicNanoseconds, Field.epochMonotonicNanoseconds)
        put(calibration.epochUnixNanoseconds, Field.epochUnixNanoseconds)
        put(UInt32(ringCapacity), Field.ringCapacity)
        put(UInt64(ringsOffset), Field.ringsOffset)
        put(UInt64(ringStride), Field.ringStride)
        put(UInt64(namesOffset), Field.namesOffset)
        put(UInt64(namesCapacity), Field.namesCapacity)
        put(UInt64(totalSize), Field.totalSize)
        let nameBytes = Array(processName.utf8.prefix(Self.processNameCapacity - 1))
        for (i, byte) in nameBytes.enumerated() { put(byte, Field.processName + i) }
        // The magic goes last: a reader never sees a region whose magic is right and header is half-written.
        put(Self.magic, Field.magic)
    }
}

/// Lifecycle of a region, in its header's `state` word.
public enum RegionState: UInt64, Sendable {
    case live = 1
    case closed = 2
}
