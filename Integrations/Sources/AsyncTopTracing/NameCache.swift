import AsyncTopTrace

#if canImport(Glibc)
    import Glibc
#endif

/// Name ids for the strings spans carry (operation names, attribute keys and `key=value` texts), looked up without
/// hashing their text: a small cache per thread, keyed by the strings' own representation. Written by hand because
/// `NameTable.intern` hashes the whole text under a lock, which made it most of a span's cost (5 µs a request);
/// the strings a span repeats are nearly all either short (Swift keeps up to 15 bytes inline, so their
/// representation is their text) or literals (their representation points at the same static bytes every time).
///
/// The cache keeps the strings it holds alive, so a representation it matches is always that same string.
/// Threading: one cache per thread (a pthread key), touched by that thread only. Cost of a hit: two 16-byte
/// compares and a multiply; no allocation, no lock.
final class NameCache {
    private struct Entry {
        var first: String
        var second: String
        var id: NameID
    }

    private static let size = 256
    private var entries: [Entry?] = Array(repeating: nil, count: NameCache.size)
    /// The table the cached ids belong to: when the tracer writes to another region, the cache starts over.
    private var table: NameTable?

    /// The calling thread's cache.
    static var current: NameCache {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<NameCache>.fromOpaque(pointer).takeUnretainedValue()
        }
        let cache = NameCache()
        pthread_setspecific(key, Unmanaged.passRetained(cache).toOpaque())
        return cache
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<NameCache>.fromOpaque(pointer).release() }
        }
        return key
    }()

    /// The id of `first` + `separator` + `second` in `names` (`second` empty: `first` alone).
    func id(_ first: String, _ separator: String = "", _ second: String = "", in names: NameTable) -> NameID {
        if table !== names {
            table = names
            for index in entries.indices { entries[index] = nil }
        }
        let slot = Self.slot(first, second)
        if let entry = entries[slot], Self.same(entry.first, first), Self.same(entry.second, second) { return entry.id }
        let id = names.intern(second.isEmpty ? first : first + separator + second)
        entries[slot] = Entry(first: first, second: second, id: id)
        return id
    }

    private static func bits(_ text: String) -> (UInt64, UInt64) { unsafeBitCast(text, to: (UInt64, UInt64).self) }

    private static func same(_ a: String, _ b: String) -> Bool { bits(a) == bits(b) }

    private static func slot(_ first: String, _ second: String) -> Int {
        let (a, b) = bits(first)
        let (c, d) = bits(second)
        let mixed =
            (a &* 0x9E37_79B9_7F4A_7C15) ^ (b &* 0xC2B2_AE3D_27D4_EB4F) ^ (c &* 0x1656_67B1_9E37_79F9)
            ^ (d &* 0x85EB_CA77_C2B2_AE63)
        return Int(truncatingIfNeeded: mixed >> 56) & (size - 1)
    }
}
