#if canImport(Glibc)
    import Glibc
#endif

/// What `asynctop run` checks of a program before preloading the concurrency tap into it: that it is an ELF
/// executable, dynamically linked, and loads the Swift runtime as a shared library (`libswiftCore.so`), which
/// is what lets a preloaded library take the runtime's hook. Reads the ELF headers with `pread`, never the whole
/// file, and trusts none of their offsets.
///
/// Written by hand: the four ELF tables read here (file header, program headers, dynamic section, section
/// names) are a few dozen lines, and no maintained Swift package reads ELF.
struct SwiftProgram {
    /// The absolute path that will be run.
    let path: String

    /// Why a program cannot be run with the tap.
    enum Problem: Error, CustomStringConvertible {
        case notFound(String)
        case notExecutable(String)
        case notELF(String)
        case staticallyLinked(String)
        case staticStandardLibrary(String)
        case notSwift(String)

        var description: String {
            let advice = "link AsyncTopConcurrency into it and call AsyncTop.traceConcurrency() first thing in main"
            switch self {
            case .notFound(let name): return "\(name): no such program (not a path, and not found on PATH)"
            case .notExecutable(let path): return "\(path) is not an executable file"
            case .notELF(let path):
                return "\(path) is not an ELF executable (a script?): run the Swift program itself"
            case .staticallyLinked(let path):
                return "\(path) is statically linked, so no library can be preloaded into it: \(advice)"
            case .staticStandardLibrary(let path):
                return
                    "\(path) was built with -static-stdlib, so its Swift runtime cannot be tapped from outside: "
                    + "\(advice)"
            case .notSwift(let path):
                return
                    "\(path) is not a Swift program (it does not load libswiftCore.so): asynctop taps Swift Concurrency"
            }
        }
    }

    /// Finds `command` (a path, or a name on PATH) and checks it.
    init(command: String) throws(Problem) {
        let path = try Self.resolve(command)
        try Self.check(path)
        self.path = path
    }

    private static func resolve(_ command: String) throws(Problem) -> String {
        if command.contains("/") {
            guard access(command, F_OK) == 0 else { throw .notFound(command) }
            guard isExecutableFile(command) else { throw .notExecutable(command) }
            return command
        }
        let directories = (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin").split(separator: ":")
        for directory in directories {
            let candidate = "\(directory)/\(command)"
            if isExecutableFile(candidate) { return candidate }
        }
        throw .notFound(command)
    }

    /// A regular file with an execute bit (`access(X_OK)` says yes to root for any file).
    private static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return info.st_mode & S_IFMT == S_IFREG && info.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH) != 0
    }

    private static func check(_ path: String) throws(Problem) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .notExecutable(path) }
        defer { close(fd) }
        let file = ELFFile(fd: fd)
        guard let header = file.header() else { throw .notELF(path) }
        let segments = file.programHeaders(header)
        guard segments.contains(where: { $0.type == ELFFile.Segment.interpreter }) else {
            throw .staticallyLinked(path)
        }
        if file.neededLibraries(header, segments).contains(where: { $0.hasPrefix("libswiftCore.so") }) { return }
        if file.sectionNames(header).contains(where: { $0.hasPrefix("swift5_") }) { throw .staticStandardLibrary(path) }
        throw .notSwift(path)
    }
}

/// Bounds-checked reads of a 64-bit little-endian ELF file's headers.
private struct ELFFile {
    let fd: Int32

    struct Header {
        var programOffset: UInt64, programEntrySize: UInt16, programCount: UInt16
        var sectionOffset: UInt64, sectionEntrySize: UInt16, sectionCount: UInt16, sectionNamesIndex: UInt16
    }
    struct Segment {
        /// Program header types (`PT_LOAD`, `PT_DYNAMIC`, `PT_INTERP` in elf.h).
        static let load: UInt32 = 1
        static let dynamic: UInt32 = 2
        static let interpreter: UInt32 = 3
        var type: UInt32, offset: UInt64, address: UInt64, fileSize: UInt64
    }

    func bytes(at offset: UInt64, count: Int) -> [UInt8]? {
        guard count > 0, count <= 1 << 24, offset <= UInt64(Int.max) else { return nil }
        var buffer = [UInt8](repeating: 0, count: count)
        let read = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        return read == count ? buffer : nil
    }

    func integer<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, as: T.Type) -> T {
        var value: T = 0
        for index in 0..<MemoryLayout<T>.size { value |= T(bytes[offset + index]) << (8 * index) }
        return value
    }

    func header() -> Header? {
        guard let ident = bytes(at: 0, count: 64), ident[0] == 0x7F, ident[1] == 0x45, ident[2] == 0x4C,
            ident[3] == 0x46,
            ident[4] == 2, ident[5] == 1
        else { return nil }
        return Header(
            programOffset: integer(ident, 32, as: UInt64.self), programEntrySize: integer(ident, 54, as: UInt16.self),
            programCount: integer(ident, 56, as: UInt16.self), sectionOffset: integer(ident, 40, as: UInt64.self),
            sectionEntrySize: integer(ident, 58, as: UInt16.self), sectionCount: integer(ident, 60, as: UInt16.self),
            sectionNamesIndex: integer(ident, 62, as: UInt16.self))
    }

    func programHeaders(_ header: Header) -> [Segment] {
        guard header.programEntrySize >= 56,
            let table = bytes(at: header.programOffset, count: Int(header.programEntrySize) * Int(header.programCount))
        else { return [] }
        return (0..<Int(header.programCount)).map { index in
            let base = index * Int(header.programEntrySize)
            return Segment(
                type: integer(table, base, as: UInt32.self), offset: integer(table, base + 8, as: UInt64.self),
                address: integer(table, base + 16, as: UInt64.self),
                fileSize: integer(table, base + 32, as: UInt64.self))
        }
    }

    /// The file offset of a virtual address, through the loadable segments.
    func fileOffset(ofAddress address: UInt64, _ segments: [Segment]) -> UInt64? {
        for segment in segments where segment.type == Segment.load {
            if address >= segment.address, address - segment.address < segment.fileSize {
                return segment.offset + (address - segment.address)
            }
        }
        return nil
    }

    func string(at offset: UInt64) -> String? {
        guard let chunk = bytes(at: offset, count: 256) ?? bytes(at: offset, count: 64) else { return nil }
        let end = chunk.firstIndex(of: 0) ?? chunk.count
        return String(decoding: chunk[..<end], as: UTF8.self)
    }

    /// DT_NEEDED entries of the dynamic section.
    func neededLibraries(_ header: Header, _ segments: [Segment]) -> [String] {
        guard let dynamic = segments.first(where: { $0.type == Segment.dynamic }),
            let table = bytes(at: dynamic.offset, count: Int(min(dynamic.fileSize, 1 << 16)))
        else { return [] }
        var needed: [UInt64] = []
        var stringTable: UInt64?
        for base in stride(from: 0, to: table.count - 15, by: 16) {
            let tag = integer(table, base, as: Int64.self)
            let value = integer(table, base + 8, as: UInt64.self)
            if tag == 0 { break }
            if tag == 1 { needed.append(value) }
            if tag == 5 { stringTable = value }
        }
        guard let stringTable, let start = fileOffset(ofAddress: stringTable, segments) else { return [] }
        return needed.compactMap { string(at: start &+ $0) }
    }

    func sectionNames(_ header: Header) -> [String] {
        guard header.sectionEntrySize >= 64, header.sectionNamesIndex < header.sectionCount,
            let table = bytes(at: header.sectionOffset, count: Int(header.sectionEntrySize) * Int(header.sectionCount))
        else { return [] }
        let namesBase = Int(header.sectionNamesIndex) * Int(header.sectionEntrySize)
        let namesOffset = integer(table, namesBase + 24, as: UInt64.self)
        return (0..<Int(header.sectionCount)).compactMap { index in
            string(at: namesOffset &+ UInt64(integer(table, index * Int(header.sectionEntrySize), as: UInt32.self)))
        }
    }
}
