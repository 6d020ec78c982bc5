import AsyncTopTrace

#if canImport(Glibc)
import Glibc
#endif

/// A buffered output file for the exporters: bytes accumulate in memory and go out 1 MiB at a time.
struct OutputFile {
    let path: String
    private let fd: Int32
    var buffer: [UInt8] = []
    private(set) var written = 0

    init(path: String) throws(TraceFileError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        buffer.reserveCapacity(1 << 21)
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func append(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes) }

    @inline(__always)
    mutating func append(decimal value: UInt64) {
        let start = buffer.count
        var rest = value
        repeat {
            buffer.append(UInt8(truncatingIfNeeded: 48 &+ rest % 10))
            rest /= 10
        } while rest > 0
        buffer[start...].reverse()
    }

    /// Nanoseconds as microseconds with three decimals ("12.345").
    @inline(__always)
    mutating func append(microsecondsFromNanoseconds ns: UInt64) {
        append(decimal: ns / 1000)
        let fraction = ns % 1000
        buffer.append(46)
        buffer.append(UInt8(48 + fraction / 100))
        buffer.append(UInt8(48 + fraction / 10 % 10))
        buffer.append(UInt8(48 + fraction % 10))
    }

    mutating func flushIfLarge() throws(TraceFileError) {
        if buffer.count >= 1 << 20 { try flush() }
    }

    mutating func flush() throws(TraceFileError) {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .cannotWrite(path: path, errno: errno)
            }
            offset += n
        }
        written += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func close() throws(TraceFileError) {
        try flush()
        Glibc.close(fd)
    }
}

/// A name as JSON or CSV text: terminal-safe, quotes escaped, cached per id.
struct EscapedNames {
    let names: any NameResolver
    private var cache: [NameID: [UInt8]] = [:]
    let quote: UInt8

    init(names: any NameResolver, quote: UInt8) {
        self.names = names
        self.quote = quote
    }

    mutating func escaped(_ id: NameID, fallback: String) -> [UInt8] {
        if let cached = cache[id] { return cached }
        let text = id == .none ? fallback : (names.bytes(for: id).map { TerminalSafeText.make($0) } ?? fallback)
        let value = escape(text)
        cache[id] = value
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
