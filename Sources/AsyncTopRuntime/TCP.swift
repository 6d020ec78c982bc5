#if canImport(Glibc)
    import Glibc
#endif

/// Outgoing IPv4 TCP connections, completed on an event loop without blocking it.
public enum TCP {
    /// Connects to `host` (a dotted IPv4 address) and `port`. The future succeeds with the connected,
    /// non-blocking socket once the connect finishes, or fails with the connect's error.
    public static func connect(host: String, port: UInt16, on loop: EventLoop) -> Future<IODescriptor> {
        let promise = loop.makePromise(of: IODescriptor.self)
        loop.execute {
            do throws(IOError) {
                let fd = socket(
                    AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                    0)
                guard fd >= 0 else { throw IOError.last("socket") }
                let descriptor = IODescriptor(rawValue: fd)
                var address = try address(host: host, port: port)
                let result = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                if result == 0 {
                    promise.succeed(descriptor)
                    return
                }
                guard errno == EINPROGRESS else {
                    let error = IOError.last("connect")
                    descriptor.close()
                    throw error
                }
                do {
                    _ = try loop.watch(descriptor, interest: .writable) { watch, _ in
                        watch.unwatch(closing: false)
                        var code: Int32 = 0
                        var length = socklen_t(MemoryLayout<Int32>.size)
                        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) != 0 { code = errno }
                        if code == 0 {
                            promise.succeed(descriptor)
                        } else {
                            descriptor.close()
                            promise.fail(IOError(call: "connect", errno: code))
                        }
                    }
                } catch {
                    descriptor.close()
                    promise.fail(error)
                }
            } catch {
                promise.fail(error)
            }
        }
        return promise.future
    }

    /// A `sockaddr_in` for a dotted IPv4 address.
    static func address(host: String, port: UInt16) throws(IOError) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw IOError(call: "inet_pton(\(host))", errno: EINVAL)
        }
        return address
    }
}
