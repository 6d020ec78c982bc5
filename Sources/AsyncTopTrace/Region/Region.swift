import Atomics
import CAsyncTopSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A trace region: a header, a fixed pool of rings (one per producer thread) and an append-only name arena,
/// laid out by `RegionLayout`. It lives either in anonymous memory, for an in-process monitor, or in a 0600
/// file in the user's runtime directory, published for `asynctop attach`; the bytes are the same in both.
///
/// Creating a region maps memory and writes its header (not a hot path). Producers call `makeTracer(loop:)`
/// once per thread; readers use an `InProcessSource` or an `AttachedSource`.
public final class Region: @unchecked Sendable {
    public let layout: RegionLayout
    public let calibration: ClockCalibration
    /// The region file, if this region is published.
    public let path: String?
    public let names: NameTable
    let base: UnsafeMutableRawPointer
    private let overflowRing: UnsafeMutableRawPointer
    private var closed = false

    /// Defaults: 16 rings of 128 Ki events (4 MiB each) and 1 MiB of names: 65 MiB of address space, committed
    /// only as it is touched.
    public static let defaultLayout = RegionLayout(ringCount: 16, ringCapacity: 1 << 17, namesCapacity: 1 << 20)

    /// A region in anonymous memory, readable by `InProcessSource`.
    public convenience init(layout: RegionLayout = Region.defaultLayout, processName: String = ProcessIdentity.name)
        throws(RegionError)
    {
        let memory = mmap(nil, layout.totalSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let memory, memory != MAP_FAILED else { throw .cannotMap(errno: errno) }
        self.init(base: memory, layout: layout, path: nil, processName: processName)
    }

    /// A region in a new file `<directory>/<pid>.region` (0600, in a 0700 directory), which other processes
    /// can attach to. The file is removed by `close()` and when the process exits normally.
    public static func publish(
        layout: RegionLayout = Region.defaultLayout, processName: String = ProcessIdentity.name,
        directory: String? = nil
    ) throws(RegionError) -> Region {
        let dir: String
        if let directory { dir = directory } else { dir = try RegionDirectory.ensureDefault() }
        let path = dir + "/" + RegionDirectory.fileName(pid: getpid())
        unlink(path)  // a leftover from an earlier process that had our pid
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .cannotCreate(path: path, errno: errno) }
        defer { Glibc.close(fd) }
        guard ftruncate(fd, off_t(layout.totalSize)) == 0 else {
            let e = errno
            unlink(path)
            throw .cannotCreate(path: path, errno: e)
        }
        let memory = mmap(nil, layout.totalSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let memory, memory != MAP_FAILED else {
            let e = errno
            unlink(path)
            throw .cannotMap(errno: e)
        }
        asynctop_unlink_at_exit(path)
        return Region(base: memory, layout: layout, path: path, processName: processName)
    }

    private init(base: UnsafeMutableRawPointer, layout: RegionLayout, path: String?, processName: String) {
        self.base = base
        self.layout = layout
        self.path = path
        self.calibration = ClockCalibration.current()
        layout.writeHeader(
            at: base, pid: getpid(), uid: getuid(), processStartTime: ProcessIdentity.startTime(of: getpid()) ?? 0,
            processName: processName, calibration: calibration)
        self.names = NameTable(
            arena: base + layout.namesOffset, capacity: layout.namesCapacity,
            used: base + RegionLayout.Field.namesUsed, dropped: base + RegionLayout.Field.namesDropped)
        overflowRing = UnsafeMutableRawPointer.allocate(byteCount: layout.ringStride, alignment: 64)
        overflowRing.initializeMemory(as: UInt8.self, repeating: 0, count: layout.ringStride)
        atomic(RegionLayout.Field.state).store(RegionState.live.rawValue, ordering: .releasing)
    }

    deinit {
        close()
        munmap(base, layout.totalSize)
        overflowRing.deallocate()
    }

    func atomic(_ offset: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (base + offset).assumingMemoryBound(to: AtomicWordStorage.self))
    }

    /// Claims the next free ring for the calling thread and returns its producer. If all rings are taken the
    /// tracer writes to a private ring nobody reads, and the header's count of ringless tracers goes up.
    /// Not a hot path: call once per producer thread.
    public func makeTracer(loop: UInt16) -> Tracer {
        let index = Int(
            atomic(RegionLayout.Field.ringsClaimed).loadThenWrappingIncrement(ordering: .acquiringAndReleasing))
        guard index < layout.ringCount else {
            atomic(RegionLayout.Field.ringsClaimed).wrappingDecrement(ordering: .relaxed)
            atomic(RegionLayout.Field.ringlessEmits).wrappingIncrement(ordering: .relaxed)
            return Tracer(
                ringHeader: overflowRing, capacity: layout.ringCapacity, epochTicks: calibration.epochTicks,
                ringIndex: nil)
        }
        let ring = base + layout.ringsOffset + index * layout.ringStride
        ring.storeBytes(of: asynctop_thread_id(), toByteOffset: RegionLayout.RingField.threadID, as: UInt64.self)
        ring.storeBytes(of: UInt64(loop), toByteOffset: RegionLayout.RingField.loopID, as: UInt64.self)
        return Tracer(
            ringHeader: ring, capacity: layout.ringCapacity, epochTicks: calibration.epochTicks, ringIndex: index)
    }

    /// A reader's view of this region, for sources in this process.
    func view() -> RegionView {
        RegionView(base: UnsafeRawPointer(base), layout: layout)
    }

    /// Marks the region closed (readers see the producer finished) and removes its file. Idempotent.
    /// Tracers made from the region must not be used after the region itself is released.
    public func close() {
        guard !closed else { return }
        closed = true
        atomic(RegionLayout.Field.state).store(RegionState.closed.rawValue, ordering: .releasing)
        if let path {
            unlink(path)
            asynctop_forget_unlink_at_exit(path)
        }
    }
}
