#if canImport(Glibc)
    import Glibc
#endif

/// A non-blocking, close-on-exec pipe: bytes written to `writer` come out of `reader`.
public struct Pipe: Sendable, Hashable {
    public let reader: IODescriptor
    public let writer: IODescriptor

    /// Opens a pipe.
    public init() throws(IOError) {
        var fds: (Int32, Int32) = (-1, -1)
        let result = withUnsafeMutableBytes(of: &fds) { pipe($0.baseAddress!.assumingMemoryBound(to: Int32.self)) }
        guard result == 0 else { throw IOError.last("pipe") }
        reader = IODescriptor(rawValue: fds.0)
        writer = IODescriptor(rawValue: fds.1)
        do throws(IOError) {
            try reader.makeNonBlocking()
            try writer.makeNonBlocking()
        } catch {
            reader.close()
            writer.close()
            throw error
        }
    }
}
