import AsyncTopTrace
import CAsyncTopSupport
import DequeModule
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One event loop: a thread that turns in traced phases, in the spirit of libuv —
/// expired timers → callbacks queued before the turn (microtasks drained after each) → I/O poll (epoll, with the
/// timeout to the next timer) → I/O handlers (microtasks drained after each).
///
/// Work comes in as callbacks (`execute`, `submit`), microtasks (`enqueueMicrotask`, future callbacks), timers
/// (`schedule`), I/O readiness (`watch`) and Swift task jobs (the loop is a `TaskExecutor` and `SerialExecutor`;
/// see `spawn`). Every item is traced into the loop's own ring of its `Region`: enqueue, begin (with its
/// scheduling delay), end or failure; every turn records its phases, its sleep, what it ran and what still waits.
/// A per-phase budget (`turnBudget`) stops an endless microtask or callback chain from starving timers and I/O.
///
/// Cost: on the loop thread, `execute` appends to a plain `Deque` (no lock; the only allocation is the closure's
/// context) and running an item is a switch and a call; tracing adds one clock read and three 32-byte ring writes
/// per callback. To keep it at one read, work queued on the loop thread is stamped with the time the running item
/// began, so its scheduling delay counts from there. From other threads, work is stamped when queued and goes
/// through a lock-protected queue the loop swaps out once per turn; the eventfd wake-up is written only when the
/// loop is about to sleep.
public final class EventLoop: @unchecked Sendable, CustomStringConvertible {
    /// The loop's id in trace events (unique in the process).
    public let id: UInt16
    /// The loop's name (its thread's name, and the name of its `loopStarted` event).
    public let name: String
    /// The region the loop traces into.
    public let region: Region
    /// How many items each phase of a turn runs before the loop moves on, unless `turnBudget` says otherwise.
    public static let defaultTurnBudget = 4096

    enum State {
        static let open: UInt8 = 0
        static let stopping: UInt8 = 1
        static let stopped: UInt8 = 2
    }

    struct RemoteQueue {
        var items = Deque<RemoteItem>()
        var open = true
    }

    // Shared with other threads (immutable, atomic or locked).
    let tracer: Tracer
    let thread: pthread_t
    let kernelThreadID: UInt64
    let wakeFD: Int32
    let epochTicks: UInt64
    let epochMonotonicNanoseconds: UInt64
    let ticksPerNanosecond: Double
    let remote = Locked(RemoteQueue())
    let sleeping = Atomic<Bool>(false)
    let state = Atomic<UInt8>(State.open)
    let budget = Atomic<Int>(EventLoop.defaultTurnBudget)
    let unobservedFailures = Atomic<Int>(0)
    let rejectedItems = Atomic<Int>(0)
    let remoteTimerKeys = Atomic<UInt64>(0)
    /// Step mode: hold the loop between items and run them one at a time.
    public let stepper = LoopStepper()
    /// Left by the loop thread when it is done; `shutdown()` waits on it.
    let exited = DispatchGroup()

    // The loop thread's own state: never touched by another thread, so no lock and no exclusivity checks.
    @exclusivity(unchecked) var callbacks = Deque<LoopItem>()
    @exclusivity(unchecked) var microtasks = Deque<LoopItem>()
    @exclusivity(unchecked) var drained = Deque<RemoteItem>()
    @exclusivity(unchecked) var timers = TimerQueue()
    @exclusivity(unchecked) var reactor: Reactor
    let siteNames = CallSiteNames()
    /// Pending futures someone awaits, each with what fails it at shutdown.
    @exclusivity(unchecked) var awaitedFutures: [ObjectIdentifier: @Sendable () -> Void] = [:]
    @exclusivity(unchecked) var nextCallbackID: UInt64 = 1
    /// When the loop was last let go after being held in step mode (monotonic ns; 0 if never held). A fixed-rate
    /// timer skips the deadlines that fell due while it was held: held time is not the program's. Loop thread only.
    @exclusivity(unchecked) var heldUntil: UInt64 = 0
    @exclusivity(unchecked) var nextMicrotaskID: UInt64 = 1
    @exclusivity(unchecked) var nextTimerID: UInt64 = 1
    /// The last trace time read on the loop thread. Events that follow closely on another (an enqueue inside a
    /// callback, a callback's begin after the previous one's end) are stamped with it instead of reading the clock
    /// again: one clock read per item. Every event's time is at most `clock`, and `clock` only grows, so a ring's
    /// times never go backwards.
    @exclusivity(unchecked) var clock: UInt64 = 0
    @exclusivity(unchecked) var lastSleepTicks: UInt64 = 0
    @exclusivity(unchecked) var lastPollEnd: UInt64 = 0
    @exclusivity(unchecked) var unobservedCounterName = NameID.none
    /// The names of tasks spawned on the loop thread, most recent first, so that spawning many tasks under one
    /// name does not take the name table's lock each time.
    @exclusivity(unchecked) var recentTaskNames: [(name: String, id: NameID)] = []
    /// The spawn in progress on the loop's own thread (see `startTask`), for `enqueueJobLocal` to trace the new
    /// task's first job: a field rather than the thread-local record other threads use, which costs two
    /// `pthread_setspecific` and a `pthread_getspecific` a spawn.
    @exclusivity(unchecked) var localSpawnRecord: UnsafeMutablePointer<SpawnRecord>?
    /// The task of the job the loop thread is running: nil between jobs (the loop runs nothing else inside a
    /// task), 0 while running a job whose task it did not look up (queued and run untraced, or no task's).
    @exclusivity(unchecked) var runningTask: UInt64?
    /// Task jobs in `callbacks` (the rest are callbacks): `tickEnded` counts the callbacks alone.
    @exclusivity(unchecked) var queuedJobs = 0

    /// Starts a loop thread. `region` defaults to the process-wide `EventLoop.sharedRegion()`.
    /// Not a hot path: creates an epoll instance, an eventfd and a thread, and claims one ring of the region.
    public init(name: String? = nil, region givenRegion: Region? = nil) throws(LoopError) {
        let id = loopIDs.add(1, ordering: .relaxed).newValue
        let region: Region
        if let givenRegion { region = givenRegion } else { region = try EventLoop.sharedRegion() }
        let name = name ?? "asynctop-loop-\(id)"
        let reactor: Reactor
        let thread: LoopThread
        do throws(IOError) {
            reactor = try Reactor()
            do throws(IOError) {
                thread = try LoopThread.start(region: region, loopID: id, name: name)
            } catch {
                reactor.close()
                Glibc.close(reactor.wakeFD)
                throw error
            }
        } catch {
            throw .system(error)
        }
        self.id = id
        self.name = name
        self.region = region
        self.tracer = thread.tracer!
        self.thread = thread.thread
        self.kernelThreadID = thread.kernelThreadID
        self.reactor = reactor
        self.wakeFD = reactor.wakeFD
        self.epochTicks = region.calibration.epochTicks
        self.epochMonotonicNanoseconds = region.calibration.epochMonotonicNanoseconds
        self.ticksPerNanosecond = 1 / region.calibration.nanosecondsPerTick
        exited.enter()
        stepper.onHold = { [unowned self] held in
            if !held { heldUntil = TraceClock.monotonicNanoseconds() }
            trace(.loopHeld, id: held ? 1 : 0)
        }
        thread.launch(self)
    }

    deinit {
        Glibc.close(wakeFD)
        siteNames.deallocate()
    }

    public var description: String { "EventLoop(\(name), id \(id))" }

    /// The region loops trace into when none is given: one region for the whole process, created on first use
    /// (read it with `InProcessSource(region:)`, or with `asynctop attach PID` when `ASYNCTOP_PUBLISH=1`).
    public static func sharedRegion() throws(LoopError) -> Region {
        switch processRegion {
        case .success(let region): return region
        case .failure(let error): throw .regionUnavailable(String(describing: error))
        }
    }

    // MARK: - Thread identity and settings

    /// True on the loop's own thread while it runs. One `pthread_self()` and one relaxed load.
    @inline(__always)
    public var inEventLoop: Bool {
        pthread_self() == thread && state.load(ordering: .relaxed) != State.stopped
    }

    /// Debug builds: stops at a loop-thread-only entry point called from another thread (as SwiftNIO asserts
    /// `inEventLoop`). Nothing in release builds.
    @inlinable @inline(__always)
    func assertInEventLoop(_ function: StaticString = #function) {
        assert(inEventLoop, "\(function) is for the loop's own thread")
    }

    /// How many items (callbacks, microtasks, timers, task polls) each phase of a turn may run before the loop
    /// moves on to the next phase; nil switches the budget off, so that an endless microtask chain starves
    /// everything else (the starvation demo). Settable from any thread; read once per turn.
    public var turnBudget: Int? {
        get {
            let value = budget.load(ordering: .relaxed)
            return value == 0 ? nil : value
        }
        set { budget.store(newValue.map { max($0, 1) } ?? 0, ordering: .relaxed) }
    }

    /// False once shutdown has begun.
    @usableFromInline
    var isOpen: Bool { state.load(ordering: .relaxed) == State.open }

    /// Failures nobody could observe or nobody did: callbacks and timers that threw, and failed futures released
    /// without a callback, an awaiter or a cancel.
    public var unobservedFailureCount: Int { unobservedFailures.load(ordering: .relaxed) }

    /// Work refused because the loop was shut down.
    public var rejectedCount: Int { rejectedItems.load(ordering: .relaxed) }

    // MARK: - Emits: the one place that writes the loop's events

    /// Emits an event stamped now, and remembers the time. Loop thread only.
    @inline(__always)
    func trace(_ kind: EventKind, name: NameID = .none, id itemID: UInt64 = 0, arg: UInt64 = 0) {
        assertInEventLoop()
        guard tracingEnabled else { return }
        let now = tracer.now()
        clock = now
        tracer.emit(kind, at: now, loop: id, name: name, id: itemID, arg: arg)
    }

    /// Emits an event stamped with the last time read, without reading the clock. Loop thread only.
    @inline(__always)
    func traceAtClock(_ kind: EventKind, name: NameID = .none, id itemID: UInt64 = 0, arg: UInt64 = 0) {
        assertInEventLoop()
        guard tracingEnabled else { return }
        tracer.emit(kind, at: clock, loop: id, name: name, id: itemID, arg: arg)
    }

    /// The time elapsed from `start` to the last time read (0 if `start` is unknown or later).
    @inline(__always)
    func sinceClock(_ start: UInt64) -> UInt64 {
        start != 0 && clock > start ? clock - start : 0
    }

    /// Trace ticks now, for stamping an item's enqueue time on any thread; 0 when tracing is off.
    @inline(__always)
    func stamp() -> UInt64 {
        tracingEnabled ? TraceClock.now() &- epochTicks : 0
    }

    /// Trace ticks (since the region's epoch) of a CLOCK_MONOTONIC time.
    func ticks(atMonotonic nanoseconds: UInt64) -> UInt64 {
        guard nanoseconds > epochMonotonicNanoseconds else { return 0 }
        return UInt64(Double(nanoseconds - epochMonotonicNanoseconds) * ticksPerNanosecond)
    }
}

/// Loop ids, unique in the process.
private let loopIDs = Atomic<UInt16>(0)

/// The process-wide region: published for `asynctop attach` when the environment has `ASYNCTOP_PUBLISH=1`,
/// else anonymous memory.
private let processRegion: Result<Region, RegionError> = Result { () throws(RegionError) -> Region in
    if let flag = getenv("ASYNCTOP_PUBLISH"), String(cString: flag) == "1" { return try Region.publish() }
    return try Region()
}

/// Whether tracing is on (`Tracer.isEnabled`), read inline: one relaxed load, no call.
@inline(__always)
var tracingEnabled: Bool { asynctop_tracing_enabled() }
