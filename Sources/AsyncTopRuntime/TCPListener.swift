#if canImport(Glibc)
    import Glibc
#endif

/// A listening IPv4 TCP socket, non-blocking: watch its `descriptor` for `.readable` and `accept()` until it
/// returns nil.
public struct TCPListener: Sendable, Hashable {
    /// The listening socket.
    public let descriptor: IODescriptor
    /// The port it listens on (the one the kernel chose when asked for port 0).
    public let port: UInt16

    /// Binds and listens on `host` (a dotted IPv4 address) and `port` (0: any free port).
    public init(host: String = "127.0.0.1", port: UInt16 = 0, backlog: Int32 = 128) throws(IOError) {
        let fd = socket(
            AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError.last("socket") }
        do throws(IOError) {
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var address = try TCP.address(host: host, port: port)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw IOError.last("bind") }
            guard listen(fd, backlog) == 0 else { throw IOError.last("listen") }
            var actual = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &actual) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0 else { throw IOError.last("getsockname") }
            self.port = UInt16(bigEndian: actual.sin_port)
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.descriptor = IODescriptor(rawValue: fd)
    }

    /// Accepts one pending connection as a non-blocking descriptor; nil when none is pending.
    public func accept() throws(IOError) -> IODescriptor? {
        let fd = Glibc.accept(descriptor.rawValue, nil, nil)
        guard fd >= 0 else {
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK || code == EINTR || code == ECONNABORTED { return nil }
            throw IOError(call: "accept", errno: code)
        }
        let connection = IODescriptor(rawValue: fd)
        do throws(IOError) {
            try connection.makeNonBlocking()
        } catch {
            connection.close()
            throw error
        }
        return connection
    }
}
