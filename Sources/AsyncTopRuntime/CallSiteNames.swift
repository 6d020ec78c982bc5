import AsyncTopTrace

/// The loop's cache of call-site names: a small direct-mapped table from (`#fileID` address, `#line`) to the
/// `NameID` interned for "file:line". A hit is two compares, no lock and no allocation; a miss interns through
/// the region's `NameTable` (which takes its lock) and replaces the entry. Loop thread only; the owner calls
/// `deallocate()` once.
struct CallSiteNames {
    private struct Entry {
        var file: UInt = 0
        var line: UInt = 0
        var name: NameID = .none
    }

    private static let size = 256
    private let entries: UnsafeMutablePointer<Entry>

    init() {
        entries = .allocate(capacity: Self.size)
        entries.initialize(repeating: Entry(), count: Self.size)
    }

    func deallocate() {
        entries.deallocate()
    }

    @inline(__always)
    func name(for site: CallSite, in names: NameTable) -> NameID {
        name(file: site.file, line: site.line, in: names)
    }

    @inline(__always)
    func name(file: StaticString, line: UInt, in names: NameTable) -> NameID {
        let address = UInt(bitPattern: file.utf8Start)
        let entry = entries + Int(truncatingIfNeeded: ((address &+ line) &* 0x9E37_79B9_7F4A_7C15) >> 56)
        if entry.pointee.file == address && entry.pointee.line == line { return entry.pointee.name }
        let name = names.intern(fileID: file, line: line)
        entry.pointee = Entry(file: address, line: line, name: name)
        return name
    }
}
