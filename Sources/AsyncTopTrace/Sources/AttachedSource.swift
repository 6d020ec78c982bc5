#if canImport(Glibc)
    import Glibc
#endif

/// Reads another process's published region, read-only.
///
/// Nothing in the file is trusted: the header is validated (`RegionLayout(validatingHeaderAt:size:)`), ring
/// and arena positions are derived from validated sizes and masked indices, names are bounds-checked, and the
/// file's size is re-checked before each read so a producer that shrinks its file is refused instead of
/// faulting us. A reader never writes to the mapping (it is mapped `PROT_READ`).
public final class AttachedSource: Source, @unchecked Sendable {
    public let path: String
    public let info: SourceInfo
    public let names: any NameResolver
    private let view: RegionView
    private let fd: Int32
    private let mappedSize: Int
    private var cursor: RegionCursor

    /// Attaches to the region published by `pid` in `directory`.
    public convenience init(pid: Int32, directory: String = RegionDirectory.defaultPath) throws(RegionError) {
        try RegionDirectory.checkPrivateIfPresent(directory)
        let path = RegionDirectory.path(forPID: pid, directory: directory)
        var info = stat()
        guard stat(path, &info) == 0 else { throw .noRegionForProcess(pid: pid, directory: directory) }
        try self.init(path: path)
    }

    /// Attaches to a region file.
    public init(path: String) throws(RegionError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            let e = errno
            throw e == ENOENT ? .notFound(path: path) : .cannotOpen(path: path, errno: e)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let e = errno
            close(fd)
            throw .cannotOpen(path: path, errno: e)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw .notARegularFile(path: path)
        }
        guard info.st_uid == getuid() else {
            close(fd)
            throw .foreignOwner(path: path, uid: info.st_uid)
        }
        let size = Int(info.st_size)
        guard size >= RegionLayout.headerSize else {
            close(fd)
            throw .truncated(size: size, needed: RegionLayout.headerSize)
        }
        let memory = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)
        guard let memory, memory != MAP_FAILED else {
            let e = errno
            close(fd)
            throw .cannotMap(errno: e)
        }
        let layout: RegionLayout
        do {
            layout = try RegionLayout(validatingHeaderAt: UnsafeRawPointer(memory), size: size)
        } catch {
            munmap(memory, size)
            close(fd)
            throw error
        }
        self.path = path
        self.fd = fd
        self.mappedSize = size
        self.view = RegionView(base: UnsafeRawPointer(memory), layout: layout)
        self.info = view.info
        self.names = view.makeNameReader()
        self.cursor = RegionCursor(arrivingAt: view)
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: view.base), mappedSize)
        close(fd)
    }

    /// True while the producing process (same pid and start time) is running and has not closed the region.
    public var isProducerAlive: Bool {
        view.state != .closed && ProcessIdentity.isAlive(pid: info.pid, startTime: info.processStartTime)
    }

    /// The file still holds the whole region (a producer may have truncated it under us).
    private var fileStillWhole: Bool {
        var now = stat()
        return fstat(fd, &now) == 0 && Int(now.st_size) >= view.layout.totalSize
    }

    /// Reads like any source. Whether the producer still runs (a `kill(pid, 0)` and a read of `/proc/PID/stat`)
    /// is checked only by a read that takes fewer than `limit` events, so that a reader taking a flood in small
    /// chunks does not pay it per chunk, and at most every 100 ms. As with every source, a reader told `.ended`
    /// reads once more to take what the producer wrote after this read and before it ended.
    public func read(into batch: inout EventBatch, limit: Int = .max) -> SourceStatus {
        guard fileStillWhole else { return .ended(reason: "the region file was truncated by its producer") }
        let before = batch.events.count
        cursor.read(view, into: &batch, limit: limit)
        releaseReadPagesNow()
        guard batch.events.count - before < limit, !producerSeemsAlive else { return .live }
        return .ended(
            reason: view.state == .closed ? "process \(info.pid) closed its region" : "process \(info.pid) has exited")
    }

    /// `isProducerAlive`, asking the kernel at most every `livenessIntervalNanoseconds` (a closed region is seen at
    /// once): a reader of many processes reads each 20–500 times a second, and /proc is the dearer half of a quiet
    /// read.
    private var producerSeemsAlive: Bool {
        if view.state == .closed { return false }
        let now = TraceClock.monotonicNanoseconds()
        guard now >= nextLivenessCheck else { return true }
        nextLivenessCheck = now + Self.livenessIntervalNanoseconds
        return isProducerAlive
    }
    private var nextLivenessCheck: UInt64 = 0
    static let livenessIntervalNanoseconds: UInt64 = 100_000_000

    /// Every `releaseIntervalNanoseconds`, drops the region's pages from this reader's page tables
    /// (`MADV_DONTNEED`). The mapping is shared, so the data stays (it is the producer's); the next read faults in
    /// what it touches. Without it a reader's resident memory counted every page of the rings it had ever read (a
    /// 4 MiB ring is touched a little more with each event until the producer has been round it), and a monitor left
    /// on grew ~5 MB in its first quarter of an hour. Costs a minor fault per 4 KiB read again.
    private func releaseReadPagesNow() {
        let now = TraceClock.monotonicNanoseconds()
        guard now >= nextRelease else { return }
        nextRelease = now + Self.releaseIntervalNanoseconds
        _ = madvise(UnsafeMutableRawPointer(mutating: view.base), mappedSize, MADV_DONTNEED)
    }
    private var nextRelease: UInt64 = 0
    static let releaseIntervalNanoseconds: UInt64 = 10_000_000_000
}
