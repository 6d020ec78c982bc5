import AsyncTopTrace
import CAsyncTopConcurrency
import CAsyncTopSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The Swift side of the tap's cold paths, called from C at most once per thread, task name or spawn site:
/// claiming a ring for a thread, interning names, describing errors. Each result is cached on the C side.
enum TapThreads {
    /// The region the tap writes to. Set once by `start` before the hook is installed (the C side's install
    /// publishes it with a release store), read only after.
    nonisolated(unsafe) private static var region: Region?
    private static let poolThreads = Atomic<UInt16>(0)
    private static let enqueuingThreads = Atomic<UInt16>(0)

    /// Regions written to before the current one, kept mapped for ever: a job that began on a thread before the
    /// switch writes its end into the ring it began in.
    nonisolated(unsafe) private static var formerRegions: [Region] = []

    /// Names creating call paths for the current region.
    nonisolated(unsafe) private static var sites: SpawnSites?

    static func start(region: Region) {
        self.region = region
        sites = SpawnSites(names: region.names)
        atexit { TapThreads.flushSpawnSites(timeout: 1) }
    }

    static func flushSpawnSites(timeout: Double) { sites?.flush(timeout: timeout) }

    /// Points the tap at `region` from now on (see `ConcurrencyTap.trace(into:)`). Not thread-safe against itself:
    /// the tap's lock serialises callers.
    static func switchRegion(to region: Region) {
        if let old = self.region { formerRegions.append(old) }
        self.region = region
        sites?.switchNames(to: region.names)
        poolThreads.store(0, ordering: .relaxed)
        enqueuingThreads.store(0, ordering: .relaxed)
        asynctop_tap_region_changed()
        reportPoolWidth()
    }

    static let callbacks = asynctop_tap_callbacks(
        claim_ring: { runsJobs, out in TapThreads.claimRing(runsJobs: runsJobs, out: out!) },
        intern_name: { bytes, length in
            let text = String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
            return TapThreads.region?.names.intern(text).rawValue ?? 0
        },
        site_name: { key, task in TapThreads.sites?.name(ofPath: key, task: task) ?? 0 },
        describe_error: { slot in
            let error = UnsafeRawPointer(slot!).load(as: (any Error).self)
            return TapThreads.region?.names.intern(String(describing: error)).rawValue ?? 0
        })

    /// Writes the pool's width (the runtime's queues are as wide as the machine has online CPUs) as the counter
    /// `swift.pool.width` (`PoolState.widthCounter`), for the pool-saturated rule.
    static func reportPoolWidth() {
        guard let region else { return }
        let cpus = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        asynctop_tap_emit(EventKind.counter.rawValue, region.names.intern("swift.pool.width").rawValue, 0, UInt64(cpus))
    }

    /// Claims a ring for the calling thread and writes its `loopStarted` (id: the thread's kernel id). Pool
    /// threads are numbered from `ProducerKind.poolThreadBase`, other enqueuing threads from
    /// `ProducerKind.enqueuingThreadBase`.
    private static func claimRing(runsJobs: Bool, out: UnsafeMutablePointer<asynctop_tap_ring>) -> Bool {
        guard let region else { return false }
        let base = runsJobs ? ProducerKind.poolThreadBase : ProducerKind.enqueuingThreadBase
        let limit = runsJobs ? ProducerKind.enqueuingThreadBase - ProducerKind.poolThreadBase : UInt16.max - base
        let number =
            runsJobs
            ? poolThreads.wrappingAdd(1, ordering: .relaxed).oldValue
            : enqueuingThreads.wrappingAdd(1, ordering: .relaxed).oldValue
        guard number < limit else { return false }
        let loop = base + number
        let tracer = region.makeTracer(loop: loop)
        guard tracer.ringIndex != nil else { return false }
        let ring = tracer.ringForC
        out.pointee = asynctop_tap_ring(
            head: ring.head, slots: ring.slots, mask: ring.mask, epoch_ticks: ring.epochTicks, loop: loop)
        tracer.emit(.loopStarted, loop: loop, id: asynctop_thread_id())
        return true
    }
}
