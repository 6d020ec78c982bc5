#if canImport(Glibc)
    import Glibc
#endif

/// Reads a `.atrace` file, trusting nothing in it.
///
/// Opening validates the header and scans the chunk headers once (reading names and ring identities, which
/// are small) into an index, so events are decoded chunk by chunk on demand: a file of any size replays in
/// bounded memory, and seeking is a binary search over the index. A chunk whose CRC or lengths are wrong is
/// skipped and reported with its offset (the scan resynchronises on the next chunk marker); a truncated
/// file reads up to its last whole chunk and reports the bytes lost. Nothing in a file can crash or hang it.
public final class TraceFileReader {
    public let path: String
    public let info: SourceInfo
    public let names = FileNameTable()
    /// Events chunks in file order.
    public private(set) var chunks: [ChunkInfo] = []
    public private(set) var rings: [RingIdentity] = []
    /// Events the recorder reported missed (lost from rings before they reached the file).
    public private(set) var missed: UInt64 = 0
    /// What was wrong with the file, if anything (skipped chunks, a truncated end).
    public private(set) var problems: [String] = []
    /// The stretch the recorder watched, in trace ticks, when the file says (recordings before it did not): from
    /// the start of the first window to the end of the last.
    public var recordedSpan: ClosedRange<UInt64>? {
        recordedWindows.first.map { $0.lowerBound...recordedWindows.last!.upperBound }
    }
    /// The stretches the file holds events of, in trace ticks, in order and apart (overlapping ones merged): one
    /// for a plain recording, one per window kept for a flight recording. Empty when the file does not say.
    public private(set) var recordedWindows: [ClosedRange<UInt64>] = []
    /// The stretches between two windows, which the file has no events of.
    public var gaps: [ClosedRange<UInt64>] {
        zip(recordedWindows, recordedWindows.dropFirst()).map { $0.upperBound...$1.lowerBound }
    }
    /// Bytes at the end that did not form a whole chunk.
    public private(set) var truncatedBytes = 0
    public var eventCount: Int { chunks.reduce(0) { $0 + $1.count } }
    private let fd: Int32
    private let size: Int

    /// Where an events chunk lies and what it covers.
    public struct ChunkInfo: Hashable, Sendable {
        public var offset: Int
        public var payloadOffset: Int
        public var payloadLength: Int
        public var count: Int
        public var ring: Int
        public var firstTime: UInt64
        public var lastTime: UInt64
        /// Events before this chunk in the file.
        public var eventsBefore: Int
        /// Losses recorded before this chunk (for a replay's missed count at this point).
        public var missedBefore: UInt64
    }

    public init(path: String) throws(TraceFileError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        var status = stat()
        fstat(fd, &status)
        size = Int(status.st_size)
        let header: (SourceInfo, Int)
        do throws(TraceFileError) {
            guard size > 0 else { throw TraceFileError.empty(path: path) }
            header = try Self.readHeader(fd: fd, size: size, path: path)
        } catch {
            close(fd)
            throw error
        }
        self.info = header.0
        scan(from: header.1)
        recordedWindows = Self.merged(recordedWindows)
    }

    deinit { close(fd) }

    private static func read(fd: Int32, at offset: Int, count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done))
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            done += n
        }
        return buffer
    }

    private static func readHeader(fd: Int32, size: Int, path: String) throws(TraceFileError) -> (SourceInfo, Int) {
        let fixed = 66
        guard size >= 8, let start = read(fd: fd, at: 0, count: min(size, fixed + 255 + 4)) else {
            throw .notATrace(path: path)
        }
        guard Array(start.prefix(8)) == TraceFileFormat.magic else { throw .notATrace(path: path) }
        guard start.count >= fixed + 4 else { throw .corruptHeader(path: path, reason: "it ends after \(size) bytes") }
        let result: Result<(SourceInfo, Int), TraceFileError> = start.withUnsafeBytes { raw in
            var reader = ByteReader(bytes: raw, offset: 8)
            do {
                let version = try reader.fixed(UInt16.self)
                guard version == TraceFileFormat.version else {
                    throw TraceFileError.unsupportedVersion(path: path, version: version)
                }
                _ = try reader.fixed(UInt16.self)
                let vocabulary = VocabularyVersion(packed: try reader.fixed(UInt32.self))
                let kind = try reader.fixed(UInt32.self)
                let pid = Int32(bitPattern: try reader.fixed(UInt32.self))
                let rate = Double(bitPattern: try reader.fixed(UInt64.self))
                let epochTicks = try reader.fixed(UInt64.self)
                let epochMonotonic = try reader.fixed(UInt64.self)
                let epochUnix = try reader.fixed(UInt64.self)
                let startTime = try reader.fixed(UInt64.self)
                let nameLength = Int(try reader.fixed(UInt16.self))
                guard nameLength <= 255, reader.remaining >= nameLength + 4 else {
                    throw TraceFileError.corruptHeader(path: path, reason: "process name runs past the header")
                }
                let name = try reader.take(nameLength)
                let end = reader.offset
                let stored = try reader.fixed(UInt32.self)
                guard TraceFileFormat.crc(UnsafeRawBufferPointer(rebasing: raw[0..<end])) == stored else {
                    throw TraceFileError.corruptHeader(path: path, reason: "checksum mismatch")
                }
                guard vocabulary.major == EventKind.vocabularyVersion.major else {
                    throw TraceFileError.unsupportedVocabulary(path: path, version: vocabulary)
                }
                guard rate.isFinite, rate > 0, rate < 1e6 else {
                    throw TraceFileError.corruptHeader(path: path, reason: "clock rate \(rate)")
                }
                let info = SourceInfo(
                    pid: pid, processName: String(decoding: name, as: UTF8.self), processStartTime: startTime,
                    vocabulary: vocabulary,
                    calibration: ClockCalibration(
                        kind: TraceClock.Kind(rawValue: kind) ?? .monotonic, nanosecondsPerTick: rate,
                        epochTicks: epochTicks,
                        epochMonotonicNanoseconds: epochMonotonic, epochUnixNanoseconds: epochUnix),
                    ringCount: 0, ringCapacity: 0)
                return .success((info, end + 4))
            } catch let error as TraceFileError {
                return .failure(error)
            } catch {
                return .failure(.corruptHeader(path: path, reason: "it is cut short"))
            }
        }
        return try result.get()
    }

    /// Walks the chunks once, building the index and reading names, rings and losses.
    private func scan(from start: Int) {
        var offset = start
        var events = 0
        let header = TraceFileFormat.chunkHeaderSize
        while offset < size {
            guard size - offset >= header + 4 else {
                truncatedBytes = size - offset
                problems.append(
                    "the file ends inside a chunk at byte \(offset): \(truncatedBytes) bytes lost (truncated recording)"
                )
                break
            }
            guard let head = Self.read(fd: fd, at: offset, count: header) else { break }
            let magic = UInt32(head[0]) | UInt32(head[1]) << 8 | UInt32(head[2]) << 16 | UInt32(head[3]) << 24
            let length = head.withUnsafeBytes {
                Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
            }
            let count = head.withUnsafeBytes {
                Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
            }
            guard magic == TraceFileFormat.chunkMagic, length <= TraceFileFormat.maxChunkPayload else {
                problems.append("skipped damaged data at byte \(offset) (no chunk marker)")
                offset = resync(after: offset)
                continue
            }
            guard size - offset >= header + length + 4 else {
                truncatedBytes = size - offset
                problems.append(
                    "the file ends inside a chunk at byte \(offset): \(truncatedBytes) bytes lost (truncated recording)"
                )
                break
            }
            guard let body = Self.read(fd: fd, at: offset + 4, count: header - 4 + length + 4) else { break }
            let valid = body.withUnsafeBytes { raw in
                TraceFileFormat.crc(UnsafeRawBufferPointer(rebasing: raw[0..<(header - 4 + length)]))
                    == UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: header - 4 + length, as: UInt32.self))
            }
            guard valid else {
                problems.append("skipped a corrupt chunk at byte \(offset) (checksum mismatch)")
                offset = resync(after: offset)
                continue
            }
            let type = TraceFileFormat.ChunkType(rawValue: body[0])
            let ring = Int(UInt16(body[2]) | UInt16(body[3]) << 8)
            let payload = Array(body[(header - 4)..<(header - 4 + length)])
            switch type {
            case .events:
                let (first, last) = body.withUnsafeBytes {
                    (
                        UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 12, as: UInt64.self)),
                        UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 20, as: UInt64.self))
                    )
                }
                // Every event takes at least six bytes: a count beyond that is a lie.
                if count > 0, count * 6 <= length {
                    chunks.append(
                        ChunkInfo(
                            offset: offset, payloadOffset: offset + header, payloadLength: length, count: count,
                            ring: ring,
                            firstTime: first, lastTime: last, eventsBefore: events, missedBefore: missed))
                    events += count
                } else {
                    problems.append("skipped an events chunk at byte \(offset) (impossible count \(count))")
                }
            case .names:
                if !names.load(payload) {
                    problems.append("names chunk at byte \(offset) is malformed; some names may be missing")
                }
            case .losses:
                payload.withUnsafeBytes { raw in
                    var reader = ByteReader(bytes: raw)
                    if (try? reader.varint()) != nil, let lost = try? reader.varint() { missed &+= lost }
                }
            case .rings:
                payload.withUnsafeBytes { raw in
                    var reader = ByteReader(bytes: raw)
                    if let index = try? reader.varint(), let thread = try? reader.varint(),
                        let loop = try? reader.varint()
                    {
                        let identity = RingIdentity(
                            index: Int(truncatingIfNeeded: index), threadID: thread,
                            loop: UInt16(truncatingIfNeeded: loop))
                        // A later identity of a ring completes an earlier one (read before its producer wrote it).
                        if let known = rings.firstIndex(where: { $0.index == identity.index }) {
                            rings[known] = identity
                        } else {
                            rings.append(identity)
                        }
                    }
                }
            case .span:
                payload.withUnsafeBytes { raw in
                    var reader = ByteReader(bytes: raw)
                    if let start = try? reader.varint(), let end = try? reader.varint(), start <= end {
                        recordedWindows.append(start...end)
                    }
                }
            case nil:
                problems.append("skipped a chunk of unknown type \(body[0]) at byte \(offset)")
            }
            offset += header + length + 4
        }
    }

    /// `windows` sorted and apart: those that overlap or touch merge. O(n log n), for a hostile file may hold any
    /// number of span chunks.
    private static func merged(_ windows: [ClosedRange<UInt64>]) -> [ClosedRange<UInt64>] {
        var result: [ClosedRange<UInt64>] = []
        for window in windows.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, window.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, window.upperBound)
            } else {
                result.append(window)
            }
        }
        return result
    }

    /// The offset of the next chunk marker after `offset`, or the end of the file.
    private func resync(after offset: Int) -> Int {
        var position = offset + 1
        let window = 1 << 16
        while position < size {
            guard let block = Self.read(fd: fd, at: position, count: min(window, size - position)) else { return size }
            if block.count >= 4 {
                for i in 0...(block.count - 4)
                where block[i] == 0x41 && block[i + 1] == 0x43 && block[i + 2] == 0x48 && block[i + 3] == 0x4B {
                    return position + i
                }
            }
            position += max(1, block.count - 3)
        }
        return size
    }

    /// Decodes the events of a chunk, appending them to `events`. A chunk that passed its CRC but does not
    /// decode (a writer bug or a collision) throws, naming its offset.
    public func events(of chunk: ChunkInfo, into events: inout [TraceEvent]) throws(TraceFileError) {
        guard let payload = Self.read(fd: fd, at: chunk.payloadOffset, count: chunk.payloadLength) else {
            throw .corruptChunk(path: path, offset: chunk.offset, reason: "cannot be read")
        }
        events.reserveCapacity(events.count + chunk.count)
        let ok = payload.withUnsafeBytes { raw -> Bool in
            var reader = ByteReader(bytes: raw)
            var time = chunk.firstTime
            var id: UInt64 = 0
            /// One event. An event is at most seven varints of at most 10 bytes, so with 70 bytes left no
            /// read can pass the end and the per-byte end check is skipped.
            @inline(__always)
            func decode(checkingEnd: Bool) throws(ByteReader.Malformed) -> TraceEvent {
                time = time &+ UInt64(bitPattern: try reader.zigzag(checkingEnd: checkingEnd))
                let packed = try reader.varint(checkingEnd: checkingEnd)
                // A packed kind is one byte below 127, or 127 and the raw kind (a larger one trapped: found by the
                // atrace fuzz target).
                guard packed <= 127 else { throw ByteReader.Malformed() }
                let kind =
                    packed == 127
                    ? EventKind(rawValue: UInt16(truncatingIfNeeded: try reader.varint(checkingEnd: checkingEnd)))
                    : TraceFileFormat.unpackKind(packed)
                let loop = UInt16(truncatingIfNeeded: try reader.varint(checkingEnd: checkingEnd))
                let name = NameID(rawValue: UInt32(truncatingIfNeeded: try reader.varint(checkingEnd: checkingEnd)))
                id = id &+ UInt64(bitPattern: try reader.zigzag(checkingEnd: checkingEnd))
                let arg =
                    TraceFileFormat.argIsTime(kind)
                    ? time &+ UInt64(bitPattern: try reader.zigzag(checkingEnd: checkingEnd))
                    : try reader.varint(checkingEnd: checkingEnd)
                return TraceEvent(time: time, kind: kind, loop: loop, name: name, id: id, arg: arg)
            }
            do {
                for _ in 0..<chunk.count {
                    let roomy = reader.remaining >= 70
                    events.append(roomy ? try decode(checkingEnd: false) : try decode(checkingEnd: true))
                }
                return true
            } catch {
                return false
            }
        }
        guard ok else { throw .corruptChunk(path: path, offset: chunk.offset, reason: "events do not decode") }
    }

    /// The ring identity of a chunk's events (from the rings chunks; a bare index if none was recorded).
    public func ring(of chunk: ChunkInfo) -> RingIdentity {
        rings.first { $0.index == chunk.ring } ?? RingIdentity(index: chunk.ring, threadID: 0, loop: 0)
    }
}

/// The names of a trace file, as a `NameResolver`.
public final class FileNameTable: NameResolver {
    private var byID: [NameID: [UInt8]] = [:]

    /// Adds the entries of a names chunk; false if it was malformed (entries before the fault are kept).
    func load(_ payload: [UInt8]) -> Bool {
        payload.withUnsafeBytes { raw in
            var reader = ByteReader(bytes: raw)
            while reader.remaining > 0 {
                guard let id = try? reader.varint(), let length = try? reader.varint(),
                    length <= UInt64(reader.remaining),
                    let bytes = try? reader.take(Int(length)), id > 0, id <= UInt64(UInt32.max)
                else { return false }
                byID[NameID(rawValue: UInt32(id))] = Array(bytes)
            }
            return true
        }
    }

    public func bytes(for id: NameID) -> [UInt8]? { byID[id] }

    public func all() -> [(id: NameID, bytes: [UInt8])] {
        byID.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
