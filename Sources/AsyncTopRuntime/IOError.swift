#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call: which call, and the `errno` it left.
public struct IOError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The system call, e.g. `"connect"`.
    public var call: String
    /// The `errno` value.
    public var errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// An error for `call` with the calling thread's current `errno`.
    static func last(_ call: String) -> IOError {
        IOError(call: call, errno: Glibc.errno)
    }

    public var description: String {
        "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
