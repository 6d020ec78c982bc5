#if canImport(Glibc)
    import Glibc
#endif

/// A file in a private scratch directory (on tmpfs when there is one) that each fuzz run rewrites: the readers under
/// test open paths, as they do for users. One per target process; removed at exit.
public final class ScratchFile: Sendable {
    public let path: String
    private let directory: String
    private let fd: Int32

    public init(named name: String) {
        let parent = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        var template = Array("\(parent)/asynctop-fuzz-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("cannot make a scratch directory in \(parent)") }
        directory = String(cString: made)
        path = directory + "/" + name
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("cannot create \(path)") }
    }

    deinit {
        close(fd)
        unlink(path)
        rmdir(directory)
    }

    /// Makes the file exactly `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        ftruncate(fd, 0)
        write(bytes, at: 0)
    }

    /// Writes `bytes` at `offset`, growing the file if needed; the file stays open, so a reader's mapping of it
    /// sees the change (as it sees a producer's writes).
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { fatalError("cannot write \(path): errno \(errno)") }
            done += n
        }
    }
}
