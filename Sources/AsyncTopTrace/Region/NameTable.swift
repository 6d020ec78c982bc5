import Atomics

#if canImport(Glibc)
    import Glibc
#endif

/// Interns names — task names, call sites (`#fileID:#line`), error descriptions — into a region's append-only
/// name arena, as `NameID`s that any reader of the region, in any process, can resolve.
///
/// Arena entry: `u32 length`, the bytes (any bytes: control characters and invalid UTF-8 are kept as they are;
/// sanitising is the display's job), zero padding to 4 bytes. A `NameID` is the entry's offset / 4 + 1.
/// The arena's used length is published with a release store after the entry is written.
///
/// Cost: interning takes a lock and hashes the key; looking up a name already interned allocates nothing
/// (a `String` key, or a call site keyed by its static file-ID pointer and line). Callers on hot paths intern
/// once and keep the id.
public final class NameTable: @unchecked Sendable {
    private struct CallSite: Hashable {
        var fileID: UInt
        var line: UInt
    }
    private struct State {
        var byName: [String: NameID] = [:]
        var byCallSite: [CallSite: NameID] = [:]
        var used: Int = 0
    }

    private let arena: UnsafeMutableRawPointer
    private let capacity: Int
    private let usedCounter: UnsafeAtomic<UInt64>
    private let droppedCounter: UnsafeAtomic<UInt64>
    private let state = Locked(State())

    init(arena: UnsafeMutableRawPointer, capacity: Int, used: UnsafeMutableRawPointer, dropped: UnsafeMutableRawPointer)
    {
        self.arena = arena
        self.capacity = capacity
        self.usedCounter = UnsafeAtomic(at: used.assumingMemoryBound(to: AtomicWordStorage.self))
        self.droppedCounter = UnsafeAtomic(at: dropped.assumingMemoryBound(to: AtomicWordStorage.self))
    }

    /// The id for `name`, interning it on first use. Returns `.none` (and counts a drop) if the arena is full.
    public func intern(_ name: String) -> NameID {
        state.withLock { state in
            if let id = state.byName[name] { return id }
            let id = append(Array(name.utf8), &state)
            if id != .none { state.byName[name] = id }
            return id
        }
    }

    /// The id for raw bytes (not deduplicated against `intern(_: String)`; used for names read from elsewhere).
    public func intern(bytes: [UInt8]) -> NameID {
        state.withLock { append(bytes, &$0) }
    }

    /// The id for a call site such as `#fileID`, `#line`, interned as "file:line"; line 0 marks a name the code
    /// gave instead (`EventLoop.execute(name:)`), interned as it is. A repeat lookup allocates nothing: the key is
    /// the static string's address and the line.
    public func intern(fileID: StaticString, line: UInt) -> NameID {
        let key = CallSite(fileID: UInt(bitPattern: fileID.utf8Start), line: line)
        return state.withLock { state in
            if let id = state.byCallSite[key] { return id }
            let file = fileID.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
            let text = line == 0 ? file : file + ":" + String(line)
            let id = append(Array(text.utf8), &state)
            if id != .none { state.byCallSite[key] = id }
            return id
        }
    }

    private func append(_ bytes: [UInt8], _ state: inout State) -> NameID {
        let entrySize = 4 + ((bytes.count + 3) & ~3)
        guard bytes.count <= Int(UInt32.max), state.used + entrySize <= capacity else {
            droppedCounter.wrappingIncrement(ordering: .relaxed)
            return .none
        }
        let entry = arena + state.used
        entry.storeBytes(of: UInt32(bytes.count).littleEndian, as: UInt32.self)
        bytes.withUnsafeBytes { (entry + 4).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let id = NameID(rawValue: UInt32(state.used / 4 + 1))
        state.used += entrySize
        usedCounter.store(UInt64(state.used), ordering: .releasing)
        return id
    }
}

/// Resolves `NameID`s from a region's name arena, trusting nothing: ids beyond the published length, lengths
/// running past it, and arenas with garbage all give `nil`, never a crash.
public final class NameTableReader: @unchecked Sendable {
    private let arena: UnsafeRawPointer
    private let capacity: Int
    private let usedCounter: UnsafeAtomic<UInt64>
    private var cache: [NameID: [UInt8]] = [:]

    init(arena: UnsafeRawPointer, capacity: Int, used: UnsafeRawPointer) {
        self.arena = arena
        self.capacity = capacity
        self.usedCounter = UnsafeAtomic(
            at: UnsafeMutableRawPointer(mutating: used).assumingMemoryBound(to: AtomicWordStorage.self))
    }

    /// The bytes of a name exactly as the producer interned them.
    public func bytes(for id: NameID) -> [UInt8]? {
        guard id != .none else { return nil }
        if let cached = cache[id] { return cached }
        let used = Int(min(usedCounter.load(ordering: .acquiring), UInt64(capacity)))
        let offset = (Int(id.rawValue) - 1) * 4
        guard offset + 4 <= used else { return nil }
        let length = Int(UInt32(littleEndian: arena.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        guard length <= used - offset - 4 else { return nil }
        let bytes = Array(UnsafeRawBufferPointer(start: arena + offset + 4, count: length))
        cache[id] = bytes
        return bytes
    }

    /// Every name published so far, in interning order.
    public func all() -> [(id: NameID, bytes: [UInt8])] {
        let used = Int(min(usedCounter.load(ordering: .acquiring), UInt64(capacity)))
        var result: [(NameID, [UInt8])] = []
        var offset = 0
        while offset + 4 <= used {
            let id = NameID(rawValue: UInt32(offset / 4 + 1))
            guard let bytes = bytes(for: id) else { break }
            result.append((id, bytes))
            offset += 4 + ((bytes.count + 3) & ~3)
        }
        return result
    }
}

/// Anything that turns a `NameID` back into the bytes a producer interned: a live region's name table, or the
/// name table of a recorded file.
public protocol NameResolver: AnyObject {
    /// The bytes interned as `id`, or nil if the id is unknown.
    func bytes(for id: NameID) -> [UInt8]?
    /// Every name known so far, in id order.
    func all() -> [(id: NameID, bytes: [UInt8])]
}

extension NameTableReader: NameResolver {}

extension NameResolver {
    /// The name decoded as UTF-8, with invalid sequences replaced (U+FFFD). Not sanitised for a terminal.
    public func string(for id: NameID) -> String? {
        bytes(for: id).map { String(decoding: $0, as: UTF8.self) }
    }
}
