import AsyncTopTrace
import CAsyncTopConcurrency
import CAsyncTopSupport
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The one call that makes a Swift program's Concurrency tasks visible to asynctop.
public enum AsyncTop {
    /// Publishes this process's trace region (for `asynctop attach PID`) and taps Swift Concurrency's global
    /// executor: every job the runtime schedules is traced on the ring of the pool thread that runs it (its
    /// enqueue, scheduling delay and run time), and every task created by code linked into this executable
    /// (or, under `asynctop run`, by any library) is traced with its name, parent, spawn site and end.
    ///
    /// Call it first thing in `main`, before any task starts. Jobs keep running on the runtime's own dispatch
    /// queues, one per priority, so the program's scheduling is unchanged. Calling it again returns the first
    /// call's tap. Not a hot path: it runs one short task per priority to learn the runtime's queues.
    @discardableResult
    public static func traceConcurrency(region: Region? = nil) throws(ConcurrencyTapError) -> ConcurrencyTap {
        try ConcurrencyTap.install(region: region)
    }
}

/// Why the tap could not be installed.
public enum ConcurrencyTapError: Error, CustomStringConvertible, Sendable {
    case unsupportedRuntime(String)
    case regionUnavailable(String)

    public var description: String {
        switch self {
        case .unsupportedRuntime(let why): return "asynctop cannot tap this Swift runtime: \(why)"
        case .regionUnavailable(let why): return "asynctop could not publish its trace region: \(why)"
        }
    }
}

/// The installed tap: where it writes and what it could not see.
public final class ConcurrencyTap: Sendable {
    /// The region the tap's rings are in (the latest given to `trace(into:)`).
    public var region: Region { currentRegion.withLock { $0 } }
    private let currentRegion: Mutex<Region>
    /// True when another library had set the global-executor hook first: the tap records each enqueue and then
    /// calls that hook, which still decides where the job runs (jobs it does not hand back are not timed).
    public let chainedToAnotherHook: Bool

    private init(region: Region, chainedToAnotherHook: Bool) {
        self.currentRegion = Mutex(region)
        self.chainedToAnotherHook = chainedToAnotherHook
    }

    /// Writes from now on into `region` (a demo's own, say): each thread claims a ring there on its next event.
    /// The region written to before stays mapped for the rest of the process (a job that began before the switch
    /// ends into it), so this is for a few switches, not one per request.
    public func trace(into region: Region) {
        ConcurrencyTap.installed.withLock { _ in
            currentRegion.withLock { $0 = region }
            TapThreads.switchRegion(to: region)
        }
    }

    /// Waits until every new spawn site seen so far is named and its tasks' locations are written (the names are
    /// made off the creating threads, taking milliseconds each), or `timeout` seconds pass. The tap does this at
    /// exit; call it before a measurement that must not share the machine with the symbolicator.
    public func flushSpawnSites(timeout: Double = 1) { TapThreads.flushSpawnSites(timeout: timeout) }

    /// Stops tracing: the global executor's hook goes back to what it was before the tap, and task creations
    /// are passed on untraced. For programs that trace a stretch of their run, and for the benchmark's untapped
    /// side. False if the tap was not in place, or another library has replaced the hook since.
    @discardableResult
    public func suspend() -> Bool { asynctop_tap_suspend() }

    /// Starts tracing again after `suspend()`.
    @discardableResult
    public func resume() -> Bool { asynctop_tap_resume() }

    /// Writes an event on the calling thread's ring in the tap's region, stamped now: for bridges (the tracing
    /// bridge's spans) whose events belong with the jobs running on that thread. The thread claims a ring on its
    /// first event, like every thread the tap sees. No allocation, no lock; nothing while tracing is off.
    public func emit(_ kind: EventKind, name: NameID = .none, id: UInt64 = 0, arg: UInt64 = 0) {
        asynctop_tap_emit(kind.rawValue, name.rawValue, id, arg)
    }

    /// Bumped by every `trace(into:)`: name ids interned in `region` before it changed belong to the old region's
    /// table. A lock-free load, for bridges that cache name ids.
    public var regionGeneration: UInt32 { asynctop_tap_region_generation() }

    /// The id of the task running on the calling thread, as the tap writes task ids (0 outside a task).
    public var currentTaskID: UInt64 { asynctop_tap_current_task_id() }

    /// Jobs passed on untimed (their priority had no known queue), events lost for want of a ring, and tasks
    /// whose end could not be watched.
    public var counts: asynctop_tap_counts { asynctop_tap_get_counts() }

    /// The Swift runtime's concurrency layout versions this tap was written against (`_swift_concurrency_debug_
    /// internal_layout_version`, 1 from Swift 6.1 to 6.3): the offsets of `Job`, of a task's initial context
    /// and of its name option that it relies on.
    public static let supportedLayoutVersions: ClosedRange<Int64> = 1...1

    private static let installed = Mutex<ConcurrencyTap?>(nil)

    static func install(region given: Region?) throws(ConcurrencyTapError) -> ConcurrencyTap {
        let result: Result<ConcurrencyTap, ConcurrencyTapError> = installed.withLock { tap in
            if let tap { return .success(tap) }
            do throws(ConcurrencyTapError) {
                let created = try installNow(region: given)
                tap = created
                return .success(created)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func installNow(region given: Region?) throws(ConcurrencyTapError) -> ConcurrencyTap {
        let layout = asynctop_tap_runtime_layout_version()
        guard supportedLayoutVersions.contains(layout) else {
            throw .unsupportedRuntime(
                layout < 0
                    ? "it has no concurrency debug layout version (not Swift 5.9 or later)"
                    : "its concurrency layout version is \(layout); this asynctop knows \(supportedLayoutVersions)")
        }
        let region: Region
        if let given {
            region = given
        } else {
            do { region = try Region.publish() } catch { throw .regionUnavailable(String(describing: error)) }
        }
        TapThreads.start(region: region)
        try RuntimeQueues.learn()
        for kind in JobKind.allCases where kind != .task {
            asynctop_tap_set_job_label(kind.rawValue, region.names.intern(kind.label).rawValue)
        }
        let status = asynctop_tap_install(TapThreads.callbacks)
        TapThreads.reportPoolWidth()
        switch status {
        case asynctop_tap_installed, asynctop_tap_already_installed:
            return ConcurrencyTap(region: region, chainedToAnotherHook: false)
        case asynctop_tap_installed_chained:
            return ConcurrencyTap(region: region, chainedToAnotherHook: true)
        default:
            throw .unsupportedRuntime(
                "it lacks swift_task_enqueueGlobal_hook, swift_job_run or swift_task_getJobTaskId")
        }
    }
}
