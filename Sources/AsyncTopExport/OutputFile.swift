import AsyncTopTrace

#if canImport(Glibc)
    import Glibc
#endif

/// A buffered output file for the exporters: bytes accumulate in memory and go out about 1 MiB at a time.
///
/// Writers append a few bytes at a time, tens of times per event, so the buffer is raw memory rather than a
/// `[UInt8]`: an array append checks uniqueness and capacity on every call (and slicing one to reverse
/// digits copied it), which was most of an export's time. Here an append is one capacity comparison and a
/// store or `memcpy`. Cost: no allocation once the buffer has grown to its working size.
///
/// Move it into its one user (a writer): copies share the buffer, and growing it frees the old memory.
struct OutputFile {
    let path: String
    /// Where the bytes go until `close()` renames the file to `path`: a failed export leaves no half file, and
    /// never touches a file already at `path`.
    let temporaryPath: String
    private let storage: Storage
    /// The buffer's start, cached from `storage` (changes only when it grows).
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes buffered, not yet written.
    private(set) var count = 0
    /// Bytes written to the file so far.
    private(set) var written = 0

    /// Owns the buffer's memory and the descriptor, so copies of an `OutputFile` share them and the last one
    /// frees them.
    private final class Storage {
        var pointer: UnsafeMutablePointer<UInt8>
        var fd: Int32
        init(capacity: Int, fd: Int32) {
            pointer = .allocate(capacity: capacity)
            self.fd = fd
        }
        deinit {
            pointer.deallocate()
            if fd >= 0 { Glibc.close(fd) }
        }
    }

    private static let flushThreshold = 1 << 20
    /// The buffer starts small and doubles up to about twice `flushThreshold` (five copies of under 1 MiB for a
    /// large export): a small export then allocates 64 KiB, not 2 MiB. The fuzzer's export target spent half its
    /// time mapping, poisoning and unmapping three 2 MiB buffers per input.
    private static let initialCapacity = 1 << 16

    /// Opens a temporary file beside `path`. Refuses a `path` that is the file `input` (by identity: the same
    /// device and inode, whatever the spelling or links), before anything is opened for writing.
    init(path: String, notOverwriting input: String? = nil) throws(TraceFileError) {
        if let input, Self.sameFile(path, input) { throw .outputIsInput(path: path, input: input) }
        self.path = path
        temporaryPath = path + ".tmp-\(getpid())"
        let fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        capacity = Self.initialCapacity
        storage = Storage(capacity: capacity, fd: fd)
        base = storage.pointer
    }

    /// True if both paths name one existing file.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var first = stat()
        var second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }

    /// Room for `n` more bytes; returns where they go. Grows (rarely: flushes keep the buffer near 1 MiB).
    @inline(__always)
    private mutating func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if count + n > capacity { grow(to: count + n) }
        return base + count
    }

    private mutating func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        pointer.update(from: base, count: count)
        storage.pointer.deallocate()
        storage.pointer = pointer
        base = pointer
        capacity = newCapacity
    }

    /// Appends what `body` writes at a pointer with room for `capacity` bytes; `body` returns the count.
    @inline(__always)
    mutating func append(upTo capacity: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        let p = reserve(capacity)
        count += body(p)
    }

    @inline(__always)
    mutating func append(byte: UInt8) {
        reserve(1).pointee = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        reserve(bytes.count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func append(_ bytes: [UInt8]) { bytes.withUnsafeBufferPointer { append($0) } }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// The decimal digits of `value`.
    @inline(__always)
    mutating func append(decimal value: UInt64) {
        append(upTo: 20) { OutputFile.writeDecimal(value, to: $0) }
    }

    /// Nanoseconds as microseconds with three decimals ("12.345").
    @inline(__always)
    mutating func append(microsecondsFromNanoseconds ns: UInt64) {
        append(upTo: 24) { p in
            let n = OutputFile.writeDecimal(ns / 1000, to: p)
            OutputFile.writeFraction(ns % 1000, digits: 3, to: p + n)
            return n + 4
        }
    }

    /// Writes the digits of `value` at `p` (room for 20); returns how many.
    @inline(__always)
    static func writeDecimal(_ value: UInt64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        var digits = 1
        var threshold: UInt64 = 10
        while digits < 20, value >= threshold {
            digits += 1
            threshold = threshold &* 10
        }
        var rest = value
        var i = digits
        repeat {
            i -= 1
            p[i] = UInt8(truncatingIfNeeded: 48 &+ rest % 10)
            rest /= 10
        } while i > 0
        return digits
    }

    /// Writes "." and `fraction` as exactly `digits` digits (zero-padded) at `p`.
    @inline(__always)
    static func writeFraction(_ fraction: UInt64, digits: Int, to p: UnsafeMutablePointer<UInt8>) {
        p[0] = UInt8(ascii: ".")
        var rest = fraction
        for i in stride(from: digits, to: 0, by: -1) {
            p[i] = UInt8(truncatingIfNeeded: 48 &+ rest % 10)
            rest /= 10
        }
    }

    mutating func flushIfLarge() throws(TraceFileError) {
        if count >= Self.flushThreshold { try flush() }
    }

    mutating func flush() throws(TraceFileError) {
        var offset = 0
        while offset < count {
            let n = write(storage.fd, base + offset, count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw .cannotWrite(path: path, errno: errno)
            }
            offset += n
        }
        written += count
        count = 0
    }

    /// Writes what is buffered and puts the file in place (rename: atomic, and whole or not at all).
    mutating func close() throws(TraceFileError) {
        try flush()
        let fd = storage.fd
        storage.fd = -1
        guard Glibc.close(fd) == 0 else {
            let e = errno
            unlink(temporaryPath)
            throw .cannotWrite(path: path, errno: e)
        }
        guard rename(temporaryPath, path) == 0 else {
            let e = errno
            unlink(temporaryPath)
            throw .cannotWrite(path: path, errno: e)
        }
    }

    /// Removes the temporary file of an export that failed (nothing is left at `path` by it).
    func discard() {
        if storage.fd >= 0 {
            Glibc.close(storage.fd)
            storage.fd = -1
        }
        unlink(temporaryPath)
    }
}

/// Names as JSON or CSV text: terminal-safe, quotes escaped, escaped once per id and cached.
struct EscapedNames {
    let names: any NameResolver
    let quote: UInt8
    /// Escaped names by id, for ids below `denseLimit` (ids are arena offsets / 4 + 1, so small and dense):
    /// a lookup per event without hashing. Larger ids (only from hand-made files) go to `sparse`.
    private var dense: [[UInt8]?] = []
    private var sparse: [NameID: [UInt8]] = [:]
    private static let denseLimit: UInt32 = 1 << 16

    init(names: any NameResolver, quote: UInt8) {
        self.names = names
        self.quote = quote
    }

    /// Appends the escaped name for `id`, or `fallback` when the id is `.none` or unknown.
    @inline(__always)
    mutating func append(_ id: NameID, fallback: StaticString, to out: inout OutputFile) {
        let raw = Int(id.rawValue)
        if raw < dense.count, let bytes = dense[raw] {
            out.append(bytes)
        } else if let bytes = lookUp(id) {
            out.append(bytes)
        } else {
            out.append(fallback)
        }
    }

    /// The escaped name, cached; nil for `.none` and for ids the trace does not name.
    private mutating func lookUp(_ id: NameID) -> [UInt8]? {
        guard id != .none else { return nil }
        if id.rawValue >= Self.denseLimit, let cached = sparse[id] { return cached }
        guard let bytes = names.bytes(for: id) else { return nil }
        let value = escape(TerminalSafeText.make(bytes))
        if id.rawValue < Self.denseLimit {
            let raw = Int(id.rawValue)
            if raw >= dense.count { dense.append(contentsOf: repeatElement(nil, count: raw + 1 - dense.count)) }
            dense[raw] = value
        } else {
            sparse[id] = value
        }
        return value
    }

    /// Escapes free text: for JSON, `"` and `\`; for CSV, `"` doubled.
    func escape(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") {
                out.append(quote == UInt8(ascii: "\\") ? UInt8(ascii: "\\") : UInt8(ascii: "\""))
            } else if byte == UInt8(ascii: "\\"), quote == UInt8(ascii: "\\") {
                out.append(UInt8(ascii: "\\"))
            }
            out.append(byte)
        }
        return out
    }
}
