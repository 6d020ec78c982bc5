#if canImport(Glibc)
    import Glibc
#endif

/// A non-blocking file descriptor (pipe end or socket) with the reads and writes an event-loop handler needs.
/// A plain value wrapping the descriptor number: it does not close itself; `close()` (or the loop, once the
/// descriptor is watched) does.
public struct IODescriptor: Sendable, Hashable, CustomStringConvertible {
    /// The outcome of a non-blocking read.
    public enum ReadResult: Sendable, Hashable {
        /// Some bytes (never empty).
        case bytes([UInt8])
        /// Nothing to read now; wait for `.readable`.
        case wouldBlock
        /// The peer closed its end.
        case endOfFile
    }

    /// The descriptor number.
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// Reads up to `maxBytes`. Allocates the returned array.
    public func read(maxBytes: Int = 64 * 1024) throws(IOError) -> ReadResult {
        var buffer = [UInt8](repeating: 0, count: maxBytes)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(rawValue, $0.baseAddress, $0.count) }
        if count > 0 { return .bytes(Array(buffer[0..<count])) }
        if count == 0 { return .endOfFile }
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return .wouldBlock }
        throw IOError(call: "read", errno: code)
    }

    /// Writes as much of `bytes` as the descriptor takes now; returns how many were written (0 if it would block).
    @discardableResult
    public func write(_ bytes: some Collection<UInt8>) throws(IOError) -> Int {
        let array = Array(bytes)
        guard !array.isEmpty else { return 0 }
        let count = array.withUnsafeBytes { Glibc.write(rawValue, $0.baseAddress, $0.count) }
        if count >= 0 { return count }
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return 0 }
        throw IOError(call: "write", errno: code)
    }

    /// Closes the descriptor.
    public func close() {
        _ = Glibc.close(rawValue)
    }

    /// Makes the descriptor non-blocking and close-on-exec.
    func makeNonBlocking() throws(IOError) {
        let flags = fcntl(rawValue, F_GETFL)
        guard flags >= 0, fcntl(rawValue, F_SETFL, flags | O_NONBLOCK) == 0, fcntl(rawValue, F_SETFD, FD_CLOEXEC) == 0
        else { throw IOError.last("fcntl") }
    }

    public var description: String { "fd \(rawValue)" }
}
