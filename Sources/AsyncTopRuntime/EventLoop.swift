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
    private let thread: pthread_t
    private let kernelThreadID: UInt64
    private let wakeFD: Int32
    private let epochTicks: UInt64
    private let epochMonotonicNanoseconds: UInt64
    private let ticksPerNanosecond: Double
    private let remote = Locked(RemoteQueue())
    private let sleeping = Atomic<Bool>(false)
    private let state = Atomic<UInt8>(State.open)
    private let budget = Atomic<Int>(EventLoop.defaultTurnBudget)
    private let unobservedFailures = Atomic<Int>(0)
    private let rejectedItems = Atomic<Int>(0)
    private let remoteTimerKeys = Atomic<UInt64>(0)
    /// Step mode: hold the loop between items and run them one at a time.
    public let stepper = LoopStepper()
    /// Left by the loop thread when it is done; `shutdown()` waits on it.
    let exited = DispatchGroup()

    // The loop thread's own state: never touched by another thread, so no lock and no exclusivity checks.
    @exclusivity(unchecked) private var callbacks = Deque<LoopItem>()
    @exclusivity(unchecked) private var microtasks = Deque<LoopItem>()
    @exclusivity(unchecked) private var drained = Deque<RemoteItem>()
    @exclusivity(unchecked) private var timers = TimerQueue()
    @exclusivity(unchecked) private var reactor: Reactor
    private let siteNames = CallSiteNames()
    /// Pending futures someone awaits, each with what fails it at shutdown.
    @exclusivity(unchecked) private var awaitedFutures: [ObjectIdentifier: @Sendable () -> Void] = [:]
    @exclusivity(unchecked) private var nextCallbackID: UInt64 = 1
    @exclusivity(unchecked) private var nextMicrotaskID: UInt64 = 1
    @exclusivity(unchecked) private var nextTimerID: UInt64 = 1
    /// The last trace time read on the loop thread. Events that follow closely on another (an enqueue inside a
    /// callback, a callback's begin after the previous one's end) are stamped with it instead of reading the clock
    /// again: one clock read per item. Every event's time is at most `clock`, and `clock` only grows, so a ring's
    /// times never go backwards.
    @exclusivity(unchecked) private var clock: UInt64 = 0
    @exclusivity(unchecked) private var lastSleepTicks: UInt64 = 0
    @exclusivity(unchecked) private var lastPollEnd: UInt64 = 0
    @exclusivity(unchecked) private var unobservedCounterName = NameID.none
    /// The names of tasks spawned on the loop thread, most recent first, so that spawning many tasks under one
    /// name does not take the name table's lock each time.
    @exclusivity(unchecked) private var recentTaskNames: [(name: String, id: NameID)] = []
    /// The spawn in progress on the loop's own thread (see `startTask`), for `enqueueJobLocal` to trace the new
    /// task's first job: a field rather than the thread-local record other threads use, which costs two
    /// `pthread_setspecific` and a `pthread_getspecific` a spawn.
    @exclusivity(unchecked) var localSpawnRecord: UnsafeMutablePointer<SpawnRecord>?
    /// The task of the job the loop thread is running: nil between jobs (the loop runs nothing else inside a
    /// task), 0 while running a job whose task it did not look up (queued and run untraced, or no task's).
    @exclusivity(unchecked) var runningTask: UInt64?
    /// Task jobs in `callbacks` (the rest are callbacks): `tickEnded` counts the callbacks alone.
    @exclusivity(unchecked) private var queuedJobs = 0

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
        stepper.onHold = { [unowned self] held in trace(.loopHeld, id: held ? 1 : 0) }
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

    // MARK: - Callbacks and microtasks

    /// Queues `work` to run on the loop, after the callbacks queued before it. A throw is traced as a
    /// `callbackFailed` event, counted as unobserved, and the loop goes on. Ignored after shutdown (counted in
    /// `rejectedCount`). On the loop thread: no lock, no allocation beyond the closure's context.
    @inline(__always)
    public func execute(
        file: StaticString = #fileID, line: UInt = #line, _ work: consuming @escaping @Sendable () throws -> Void
    ) {
        enqueue(.callback(work), file: file, line: line)
    }

    /// Queues `work` like `execute` and returns a future of its result; a throw fails the future (and is traced).
    /// After shutdown the future fails with `LoopError.shutDown`.
    public func submit<Value: Sendable>(
        file: StaticString = #fileID, line: UInt = #line, _ work: @escaping @Sendable () throws -> Value
    ) -> Future<Value> {
        let future = Future<Value>(loop: self)
        let accepted = enqueue(
            .submitted {
                do {
                    future.complete(.success(try work()))
                } catch {
                    future.complete(.failure(error))
                    throw error
                }
            }, file: file, line: line)
        return accepted ? future : Future(loop: self, result: .failure(LoopError.shutDown))
    }

    /// Queues a microtask: it runs as soon as the current callback (or timer, or I/O handler) returns, before the
    /// next one, after the microtasks already queued. From another thread it is queued when the loop next drains
    /// its remote queue, and runs after the callback then running.
    public func enqueueMicrotask(
        file: StaticString = #fileID, line: UInt = #line, _ work: @escaping @Sendable () -> Void
    ) {
        if inEventLoop {
            enqueueMicrotaskLocal(.microtask(work), site: CallSite(file: file, line: line))
        } else {
            _ = enqueueRemote(
                RemoteItem(work: .microtask(work), enqueuedAt: stamp(), site: CallSite(file: file, line: line)))
        }
    }

    /// Runs `work` now if on the loop thread, else queues it as a callback.
    @usableFromInline
    func runOnLoop(file: StaticString = #fileID, line: UInt = #line, _ work: @escaping @Sendable () -> Void) {
        if inEventLoop { work() } else { enqueue(.callback(work), file: file, line: line) }
    }

    /// Queues work as a callback; false if the loop refused it (shut down).
    @inline(__always) @discardableResult
    @usableFromInline
    func enqueue(_ work: consuming LoopWork, file: StaticString, line: UInt) -> Bool {
        if inEventLoop {
            enqueueCallbackLocal(work, file: file, line: line)
            return true
        }
        return enqueueRemote(RemoteItem(work: work, enqueuedAt: stamp(), site: CallSite(file: file, line: line)))
    }

    @inline(__always)
    private func enqueueCallbackLocal(_ work: consuming LoopWork, file: StaticString, line: UInt) {
        let callbackID = nextCallbackID
        nextCallbackID &+= 1
        var now: UInt64 = 0
        var name = NameID.none
        if tracingEnabled {
            now = clock
            name = siteNames.name(file: file, line: line, in: region.names)
            tracer.emit(.callbackEnqueued, at: now, loop: id, name: name, id: callbackID)
        }
        callbacks.append(LoopItem(work: work, enqueuedAt: now, id: callbackID, name: name))
    }

    private func enqueueMicrotaskLocal(_ work: LoopWork, site: CallSite?, enqueuedAt: UInt64? = nil) {
        let microtaskID = nextMicrotaskID
        nextMicrotaskID &+= 1
        var now: UInt64 = 0
        var name = NameID.none
        if tracingEnabled {
            now = clock
            name = site.map { siteNames.name(for: $0, in: region.names) } ?? .none
            tracer.emit(.microtaskEnqueued, at: now, loop: id, name: name, id: microtaskID)
        }
        microtasks.append(LoopItem(work: work, enqueuedAt: enqueuedAt ?? now, id: microtaskID, name: name))
    }

    /// Schedules a completed future's callbacks (`run`, a closure over the future: no allocation) as one
    /// microtask. Loop thread only.
    @usableFromInline
    func enqueueFutureCallbacks(_ run: @escaping @Sendable () -> Void) {
        assertInEventLoop()
        enqueueMicrotaskLocal(.microtask(run), site: nil)
    }

    /// Queues a Swift job run by this loop's thread itself. Traced as the task being woken (and spawned, for
    /// the first job of a `spawn`). Jobs that belong to no task (the runtime's own, e.g. the hop of a
    /// `Task.yield()`) are run but not traced as tasks.
    func enqueueJobLocal(_ job: UnownedJob) {
        var now: UInt64 = 0
        var taskID: UInt64 = 0
        if tracingEnabled {
            now = clock
            taskID = EventLoop.taskID(of: job)
            if taskID != 0 {
                if let spawn = claimSpawnRecord() {
                    tracer.emit(.taskSpawned, at: now, loop: id, name: spawn.name, id: taskID, arg: spawn.parent)
                    tracer.emit(.taskLocation, at: now, loop: id, name: siteNames.name(for: spawn.site, in: region.names), id: taskID)
                }
                tracer.emit(.taskWoken, at: now, loop: id, id: taskID)
            }
        }
        callbacks.append(LoopItem(work: .job(job), enqueuedAt: now, id: taskID))
        queuedJobs += 1
    }


    /// Hands an item to the loop from another thread; false if the loop is shut down. Takes the remote queue's
    /// lock once, and writes the eventfd only if the loop is asleep.
    func enqueueRemote(_ item: RemoteItem) -> Bool {
        let accepted = remote.withLock { queue -> Bool in
            guard queue.open else { return false }
            queue.items.append(item)
            return true
        }
        guard accepted else {
            rejectedItems.add(1, ordering: .relaxed)
            return false
        }
        wakeIfSleeping()
        return true
    }

    private func wakeIfSleeping() {
        if sleeping.load(ordering: .sequentiallyConsistent),
            sleeping.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged
        {
            Reactor.wake(wakeFD)
        }
    }

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
    private func traceAtClock(_ kind: EventKind, name: NameID = .none, id itemID: UInt64 = 0, arg: UInt64 = 0) {
        assertInEventLoop()
        guard tracingEnabled else { return }
        tracer.emit(kind, at: clock, loop: id, name: name, id: itemID, arg: arg)
    }

    /// The time elapsed from `start` to the last time read (0 if `start` is unknown or later).
    @inline(__always)
    private func sinceClock(_ start: UInt64) -> UInt64 {
        start != 0 && clock > start ? clock - start : 0
    }

    /// Trace ticks now, for stamping an item's enqueue time on any thread; 0 when tracing is off.
    @inline(__always)
    func stamp() -> UInt64 {
        tracingEnabled ? TraceClock.now() &- epochTicks : 0
    }

    /// Trace ticks (since the region's epoch) of a CLOCK_MONOTONIC time.
    private func ticks(atMonotonic nanoseconds: UInt64) -> UInt64 {
        guard nanoseconds > epochMonotonicNanoseconds else { return 0 }
        return UInt64(Double(nanoseconds - epochMonotonicNanoseconds) * ticksPerNanosecond)
    }

    // MARK: - Futures

    /// A promise whose future completes on this loop.
    @inlinable
    public func makePromise<Value: Sendable>(of type: Value.Type = Value.self) -> Promise<Value> {
        Promise(on: self)
    }

    /// A future that has already succeeded.
    @inlinable
    public func makeSucceededFuture<Value: Sendable>(_ value: Value) -> Future<Value> {
        Future(loop: self, result: .success(value))
    }

    /// A future that has already failed.
    @inlinable
    public func makeFailedFuture<Value: Sendable>(_ error: any Error, of type: Value.Type = Value.self) -> Future<Value> {
        Future(loop: self, result: .failure(error))
    }

    /// Remembers a pending future someone awaits, so that shutdown can fail it instead of leaving the awaiter
    /// suspended forever. Loop thread only.
    @usableFromInline
    func rememberAwaited(_ future: ObjectIdentifier, failForShutdown: @escaping @Sendable () -> Void) {
        assertInEventLoop()
        awaitedFutures[future] = failForShutdown
    }

    /// Forgets an awaited future that completed. Loop thread only.
    @usableFromInline
    func forgetAwaited(_ future: ObjectIdentifier) {
        assertInEventLoop()
        awaitedFutures[future] = nil
    }

    /// Counts a failure nobody observed (any thread), traced as the counter "unobserved failures" on the loop
    /// thread. A failed future released unobserved also passes its `error` and the task it came from (0 if none),
    /// traced as `failureUnobserved` so the monitor can warn about it (a throwing callback is already visible as
    /// `callbackFailed`). From another thread the tracing hops to the loop.
    func noteUnobservedFailure(_ error: (any Error)? = nil, task: UInt64 = 0) {
        let count = unobservedFailures.add(1, ordering: .relaxed).newValue
        guard tracingEnabled else { return }
        guard inEventLoop else {
            execute { self.traceUnobservedFailure(count: count, error: error, task: task) }
            return
        }
        traceUnobservedFailure(count: count, error: error, task: task)
    }

    private func traceUnobservedFailure(count: Int, error: (any Error)?, task: UInt64) {
        if unobservedCounterName == .none { unobservedCounterName = region.names.intern("unobserved failures") }
        if let error { trace(.failureUnobserved, id: task, arg: UInt64(errorName(error).rawValue)) }
        trace(.counter, name: unobservedCounterName, id: 1, arg: UInt64(count))
    }

    /// The name id of a task's name. On the loop thread a name among the last few is found by a compare (equal
    /// string literals compare by address), without the name table's lock; elsewhere it is interned.
    func taskName(_ name: String) -> NameID {
        guard inEventLoop else { return region.names.intern(name) }
        if let index = recentTaskNames.firstIndex(where: { $0.name == name }) {
            let entry = recentTaskNames[index]
            if index != 0 {
                recentTaskNames.remove(at: index)
                recentTaskNames.insert(entry, at: 0)
            }
            return entry.id
        }
        let id = region.names.intern(name)
        if recentTaskNames.count == 8 { recentTaskNames.removeLast() }
        recentTaskNames.insert((name, id), at: 0)
        return id
    }

    /// The name id of an error's description, for `failed` events.
    func errorName(_ error: any Error) -> NameID {
        region.names.intern(String(describing: error))
    }

    // MARK: - Timers

    /// Runs `work` once on the loop, not before `delay` has passed. Returns a handle to cancel it. After shutdown
    /// the timer never fires. On the loop thread: a heap insert, no lock, no allocation beyond the closure's.
    @discardableResult
    public func schedule(
        after delay: Duration, file: StaticString = #fileID, line: UInt = #line,
        _ work: @escaping @Sendable () throws -> Void
    ) -> TimerHandle {
        schedule(at: .now() + delay, file: file, line: line, work)
    }

    /// Runs `work` once on the loop, not before `deadline`. Timers with equal deadlines fire in arming order.
    @discardableResult
    public func schedule(
        at deadline: LoopDeadline, file: StaticString = #fileID, line: UInt = #line,
        _ work: @escaping @Sendable () throws -> Void
    ) -> TimerHandle {
        let key = armTimer(deadline: deadline.uptimeNanoseconds, body: .once(work), site: CallSite(file: file, line: line))
        return TimerHandle(loop: self, key: key ?? 0)
    }

    /// Runs `work` every `period` (first after `initialDelay`, by default one period) until cancelled, through
    /// the returned handle or the one in each `TimerTick`. `mode` chooses whether the rate or the gap is kept.
    @discardableResult
    public func scheduleRepeating(
        every period: Duration, startingAfter initialDelay: Duration? = nil, mode: RepeatMode = .fixedRate,
        file: StaticString = #fileID, line: UInt = #line, _ work: @escaping @Sendable (TimerTick) throws -> Void
    ) -> TimerHandle {
        let periodNanoseconds = max(LoopDeadline.nanoseconds(period), 1)
        let first = LoopDeadline.now() + (initialDelay ?? period)
        let key = armTimer(
            deadline: first.uptimeNanoseconds,
            body: .repeating(work, period: periodNanoseconds, mode: mode, firings: 0),
            site: CallSite(file: file, line: line))
        return TimerHandle(loop: self, key: key ?? 0)
    }

    /// Arms a timer from any thread; nil if the loop is shut down. From another thread the handle's key is a
    /// remote key the loop maps to the timer when the arming reaches it.
    func armTimer(deadline: UInt64, body: TimerQueue.Body, site: CallSite) -> UInt64? {
        if inEventLoop { return armLocal(deadline: deadline, body: body, site: site, remoteKey: 0) }
        let remoteKey = TimerQueue.remoteKeyBit | remoteTimerKeys.add(1, ordering: .relaxed).newValue
        let accepted = enqueueRemote(
            RemoteItem(
                work: .callback { [self] in _ = armLocal(deadline: deadline, body: body, site: site, remoteKey: remoteKey) },
                enqueuedAt: stamp(), site: site))
        return accepted ? remoteKey : nil
    }

    private func armLocal(deadline: UInt64, body: TimerQueue.Body, site: CallSite, remoteKey: UInt64) -> UInt64? {
        guard state.load(ordering: .relaxed) == State.open else { return nil }
        let traceID = nextTimerID
        nextTimerID &+= 1
        var name = NameID.none
        var deadlineTicks: UInt64 = 0
        if tracingEnabled {
            name = siteNames.name(for: site, in: region.names)
            deadlineTicks = ticks(atMonotonic: deadline)
            tracer.emit(.timerArmed, at: clock, loop: id, name: name, id: traceID, arg: deadlineTicks)
        }
        return timers.arm(
            deadline: deadline, deadlineTicks: deadlineTicks, body: body, traceID: traceID, name: name,
            remoteKey: remoteKey)
    }

    /// Cancels a timer by its handle's key, from any thread.
    func cancelTimer(key: UInt64) {
        guard key != 0 else { return }
        runOnLoop { [self] in
            if let traceID = timers.cancel(key: key) { traceAtClock(.timerCancelled, id: traceID) }
        }
    }

    // MARK: - I/O

    /// Registers `descriptor` with the loop's epoll (level-triggered): `handler` runs on the loop, with the watch
    /// and the readiness, whenever the descriptor is ready for `interest` (and on hang-up or error). The watch
    /// owns the descriptor from now on: `unwatch()` and shutdown close it. Must be called on the loop thread (wrap
    /// it in `submit` from elsewhere).
    public func watch(
        _ descriptor: IODescriptor, interest: IOEvents, file: StaticString = #fileID, line: UInt = #line,
        handler: @escaping (IOWatch, IOEvents) -> Void
    ) throws(LoopError) -> IOWatch {
        guard inEventLoop else { throw .notOnLoopThread(operation: "watch") }
        guard state.load(ordering: .relaxed) == State.open else { throw .shutDown }
        let name = tracingEnabled ? siteNames.name(file: file, line: line, in: region.names) : .none
        let generation: UInt32
        do throws(IOError) {
            generation = try reactor.add(fd: descriptor.rawValue, interest: interest, name: name, handler: handler)
        } catch {
            throw .system(error)
        }
        trace(.ioRegistered, name: name, id: UInt64(UInt32(bitPattern: descriptor.rawValue)), arg: UInt64(interest.rawValue))
        return IOWatch(loop: self, descriptor: descriptor, generation: generation)
    }

    func updateWatch(_ watch: IOWatch, interest: IOEvents) {
        runOnLoop { [self] in
            _ = try? reactor.modify(fd: watch.descriptor.rawValue, generation: watch.generation, interest: interest)
        }
    }

    func removeWatch(_ watch: IOWatch, closing: Bool) {
        runOnLoop { [self] in
            guard reactor.remove(fd: watch.descriptor.rawValue, generation: watch.generation) else { return }
            trace(.ioUnregistered, id: UInt64(UInt32(bitPattern: watch.descriptor.rawValue)))
            if closing { watch.descriptor.close() }
        }
    }

    // MARK: - Shutdown

    /// Stops the loop and waits for its thread to end. New work is refused from now on (`execute` is ignored,
    /// `submit` and `spawn` give failed futures, timers never fire, task jobs go to the global executor); work
    /// already queued runs, timers still armed are cancelled, awaited futures still pending fail with
    /// `LoopError.shutDown`, watched descriptors are closed. Called on the loop thread, it only starts the
    /// shutdown, which happens when the current turn ends. Idempotent.
    public func shutdown() {
        requestStop()
        guard !inEventLoop else { return }
        exited.wait()
    }

    /// `shutdown()` for async callers: suspends instead of blocking the caller's thread.
    public func shutdown() async {
        requestStop()
        guard !inEventLoop else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            exited.notify(queue: .global()) { continuation.resume() }
        }
    }

    private func requestStop() {
        stepper.resume()  // a loop held in step mode must be free to finish
        let first = remote.withLock { queue -> Bool in
            guard queue.open else { return false }
            queue.open = false
            return true
        }
        guard first else { return }
        state.store(State.stopping, ordering: .releasing)
        wakeIfSleeping()
    }

    // MARK: - The turn

    /// The loop thread's body: turns until asked to stop, then finishes.
    func runOnThread() {
        if tracingEnabled {
            trace(.loopStarted, name: region.names.intern(name), id: kernelThreadID)
        }
        while state.load(ordering: .acquiring) == State.open {
            turn()
        }
        finish()
    }

    private func turn() {
        trace(.tickBegan, arg: lastSleepTicks)
        let limit = budget.load(ordering: .relaxed)
        let phaseBudget = limit == 0 ? Int.max : limit
        drainRemote()
        let queued = callbacks.count
        var ran = 0

        trace(.phase, id: LoopPhase.timers.rawValue)
        ran += runTimers(budget: phaseBudget)

        trace(.phase, id: LoopPhase.callbacks.rawValue)
        ran += runCallbacks(queued: queued, budget: phaseBudget)

        trace(.phase, id: LoopPhase.poll.rawValue)
        let ready = poll()

        trace(.phase, id: LoopPhase.io.rawValue)
        ran += dispatchIO(count: ready, budget: phaseBudget)

        // Callbacks whose enqueue is traced and that have not begun (not task jobs, nor what other threads queued
        // meanwhile: that is traced, and counted, when the next turn takes it; counting it here would count it twice).
        if tracingEnabled { trace(.tickEnded, id: UInt64(ran), arg: UInt64(callbacks.count - queuedJobs)) }
    }

    /// Moves what other threads queued into the loop's own queues, giving each item its id and tracing its
    /// enqueue from the loop thread.
    private func drainRemote() {
        remote.withLock { queue in swap(&queue.items, &drained) }
        if !drained.isEmpty && tracingEnabled { clock = tracer.now() }
        while let item = drained.popFirst() {
            admit(item)
        }
    }

    private func admit(_ item: RemoteItem) {
        switch item.work {
        case .callback, .submitted:
            let callbackID = nextCallbackID
            nextCallbackID &+= 1
            var name = NameID.none
            if tracingEnabled {
                name = siteNames.name(for: item.site, in: region.names)
                traceAtClock(.callbackEnqueued, name: name, id: callbackID)
            }
            callbacks.append(LoopItem(work: item.work, enqueuedAt: item.enqueuedAt, id: callbackID, name: name))
        case .microtask:
            enqueueMicrotaskLocal(item.work, site: item.site, enqueuedAt: item.enqueuedAt)
        case .job(let job):
            var taskID: UInt64 = 0
            if tracingEnabled {
                taskID = EventLoop.taskID(of: job)
                if taskID != 0 {
                    if let spawn = item.spawn {
                        traceAtClock(.taskSpawned, name: spawn.name, id: taskID, arg: spawn.parent)
                        traceAtClock(.taskLocation, name: siteNames.name(for: spawn.site, in: region.names), id: taskID)
                    }
                    traceAtClock(.taskWoken, id: taskID)
                }
            }
            callbacks.append(LoopItem(work: item.work, enqueuedAt: item.enqueuedAt, id: taskID))
            queuedJobs += 1
        }
    }

    private func runTimers(budget: Int) -> Int {
        guard timers.liveCount > 0 else { return 0 }
        var ran = 0
        let now = TraceClock.monotonicNanoseconds()
        while ran < budget, let fired = timers.popExpired(now: now) {
            ran += 1
            fire(fired)
            drainMicrotasks(&ran, budget: budget)
        }
        return ran
    }

    private func fire(_ fired: TimerQueue.Fired) {
        guard stepper.gate() else { return fireUngated(fired) }
        let before = queueDepths
        let started = TraceClock.monotonicNanoseconds()
        fireUngated(fired)
        stepper.record(.timer, id: fired.traceID, durationNanoseconds: TraceClock.monotonicNanoseconds() - started, before: before, after: queueDepths)
    }

    private func fireUngated(_ fired: TimerQueue.Fired) {
        let callbackID = nextCallbackID
        nextCallbackID &+= 1
        if tracingEnabled {
            let deadlineTicks = fired.deadlineTicks != 0 ? fired.deadlineTicks : ticks(atMonotonic: fired.deadline)
            let lateness = sinceClock(max(deadlineTicks, 1))
            traceAtClock(.timerFired, id: fired.traceID, arg: lateness)
            traceAtClock(.callbackBegan, name: fired.name, id: callbackID, arg: lateness)
        }
        switch fired.body {
        case .once(let work):
            do {
                try work()
                trace(.callbackEnded, id: callbackID)
            } catch {
                callbackFailed(callbackID, error, observed: false)
            }
        case .repeating(let work, let period, let mode, let firings):
            let tick = TimerTick(
                handle: TimerHandle(loop: self, key: fired.key),
                deadline: LoopDeadline(uptimeNanoseconds: fired.deadline), firing: firings + 1)
            do {
                try work(tick)
                trace(.callbackEnded, id: callbackID)
            } catch {
                callbackFailed(callbackID, error, observed: false)
            }
            let next: UInt64
            switch mode {
            case .fixedRate: next = fired.deadline &+ period
            case .fixedDelay: next = TraceClock.monotonicNanoseconds() &+ period
            }
            let nextTicks = tracingEnabled ? ticks(atMonotonic: next) : 0
            if timers.rearm(key: fired.key, deadline: next, deadlineTicks: nextTicks, firings: firings + 1),
                tracingEnabled
            {
                traceAtClock(.timerArmed, name: fired.name, id: fired.traceID, arg: nextTicks)
            }
        }
    }

    private func runCallbacks(queued: Int, budget: Int) -> Int {
        var ran = 0
        drainMicrotasks(&ran, budget: budget)
        var remaining = queued
        while remaining > 0, ran < budget, let item = callbacks.popFirst() {
            remaining -= 1
            ran += 1
            run(item)
            drainMicrotasks(&ran, budget: budget)
        }
        return ran
    }

    @inline(__always)
    private func drainMicrotasks(_ ran: inout Int, budget: Int) {
        guard !microtasks.isEmpty else { return }
        while ran < budget, let item = microtasks.popFirst() {
            ran += 1
            run(item)
        }
    }

    private var queueDepths: StepRecord.Queues {
        StepRecord.Queues(callbacks: callbacks.count, microtasks: microtasks.count, timers: timers.liveCount)
    }

    /// Runs one item, first passing the step-mode gate (one relaxed load unless a person is stepping).
    @inline(__always)
    private func run(_ item: consuming LoopItem) {
        guard stepper.gate() else { return runUngated(item) }
        let before = queueDepths
        let started = TraceClock.monotonicNanoseconds()
        let kind: StepRecord.Kind
        switch item.work {
        case .callback, .submitted: kind = .callback
        case .microtask: kind = .microtask
        case .job: kind = .poll
        }
        let id = item.id
        runUngated(item)
        stepper.record(kind, id: id, durationNanoseconds: TraceClock.monotonicNanoseconds() - started, before: before, after: queueDepths)
    }

    @inline(__always)
    private func runUngated(_ item: consuming LoopItem) {
        let itemID = item.id
        let enqueuedAt = item.enqueuedAt
        let name = item.name
        let work = item.work
        _ = consume item
        switch consume work {
        case .callback(let work):
            begin(.callbackBegan, name: name, id: itemID, enqueuedAt: enqueuedAt)
            do {
                try work()
                trace(.callbackEnded, id: itemID)
            } catch {
                callbackFailed(itemID, error, observed: false)
            }
        case .submitted(let work):
            begin(.callbackBegan, name: name, id: itemID, enqueuedAt: enqueuedAt)
            do {
                try work()
                trace(.callbackEnded, id: itemID)
            } catch {
                callbackFailed(itemID, error, observed: true)
            }
        case .microtask(let work):
            begin(.microtaskBegan, name: name, id: itemID, enqueuedAt: enqueuedAt)
            work()
            trace(.microtaskEnded, id: itemID)
        case .job(let job):
            queuedJobs -= 1
            runJob(job, taskID: itemID, enqueuedAt: enqueuedAt)
        }
    }

    /// Emits a `began` event carrying the item's scheduling delay (run time − enqueue time), stamped with the
    /// time the previous item ended (nothing ran in between).
    @inline(__always)
    private func begin(_ kind: EventKind, name: NameID, id itemID: UInt64, enqueuedAt: UInt64) {
        traceAtClock(kind, name: name, id: itemID, arg: sinceClock(enqueuedAt))
    }

    /// A throwing callback ends with `callbackFailed` (instead of `callbackEnded`) carrying the error's name.
    private func callbackFailed(_ callbackID: UInt64, _ error: any Error, observed: Bool) {
        if tracingEnabled {
            trace(.callbackFailed, id: callbackID, arg: UInt64(errorName(error).rawValue))
        }
        if !observed { noteUnobservedFailure() }
    }

    /// One poll of a Swift task. The job runs with this loop as its task executor, so the task's nonisolated code
    /// resumes here without a hop. It is not marked as isolated to the loop as a serial executor (the same
    /// `enqueue` serves both roles, so the loop cannot tell an actor's job from a task's): an actor whose executor
    /// is this loop still runs only here, one job at a time, and `isIsolatingCurrentContext` vouches for it.
    private func runJob(_ job: UnownedJob, taskID queuedTaskID: UInt64, enqueuedAt: UInt64) {
        // Queued untraced (tracing was off then) leaves the id to be found now.
        let taskID = tracingEnabled ? (queuedTaskID != 0 ? queuedTaskID : EventLoop.taskID(of: job)) : 0
        let tracing = taskID != 0
        if tracing { traceAtClock(.taskPollBegan, id: taskID, arg: sinceClock(enqueuedAt)) }
        let outer = runningTask
        runningTask = taskID
        job.runSynchronously(on: asUnownedTaskExecutor())
        runningTask = outer
        if tracing { trace(.taskPollEnded, id: taskID) }
    }

    /// The poll phase: waits for I/O, up to the next timer's deadline, or not at all when work is waiting.
    private func poll() -> Int {
        var timeout: UInt64?
        if !callbacks.isEmpty || !microtasks.isEmpty {
            timeout = 0
        } else if let next = timers.nextDeadline() {
            let now = TraceClock.monotonicNanoseconds()
            timeout = next > now ? next - now : 0
        }
        let mayBlock = timeout != 0
        if mayBlock {
            // Announce the sleep before the last look at the remote queue: a thread that queues after that look
            // sees `sleeping` and writes the eventfd.
            sleeping.store(true, ordering: .sequentiallyConsistent)
            if remote.withLock({ !$0.items.isEmpty || !$0.open }) {
                sleeping.store(false, ordering: .sequentiallyConsistent)
                timeout = 0
            }
        }
        let tracing = tracingEnabled
        let before = clock
        let count = reactor.wait(timeoutNanoseconds: timeout)
        if mayBlock { sleeping.store(false, ordering: .sequentiallyConsistent) }
        if tracing {
            clock = tracer.now()
            lastPollEnd = clock
            lastSleepTicks = clock &- before
        } else {
            lastSleepTicks = 0
        }
        return count
    }

    private func dispatchIO(count: Int, budget: Int) -> Int {
        var ran = 0
        for index in 0..<count {
            let event = reactor.events[index]
            guard let (fd, registration) = reactor.registration(for: event.data.u64) else {
                if event.data.u64 == Reactor.wakeToken { reactor.consumeWake() }
                continue
            }
            let readiness = IOEvents(epollEvents: event.events)
            let callbackID = nextCallbackID
            nextCallbackID &+= 1
            // Held (step mode) before the handler's events, so that its callback does not last the hold.
            let stepped = stepper.gate()
            if tracingEnabled {
                traceAtClock(.ioReady, id: UInt64(UInt32(bitPattern: fd)), arg: UInt64(readiness.rawValue))
                traceAtClock(.callbackBegan, name: registration.name, id: callbackID, arg: sinceClock(lastPollEnd))
            }
            ran += 1
            let before = stepped ? queueDepths : nil
            let started = stepped ? TraceClock.monotonicNanoseconds() : 0
            registration.handler(
                IOWatch(loop: self, descriptor: IODescriptor(rawValue: fd), generation: registration.generation),
                readiness)
            trace(.callbackEnded, id: callbackID)
            if let before {
                stepper.record(.io, id: callbackID, durationNanoseconds: TraceClock.monotonicNanoseconds() - started, before: before, after: queueDepths)
            }
            drainMicrotasks(&ran, budget: budget)
        }
        return ran
    }

    /// The last turn: cancels timers, runs what was queued before the stop (and what that queues on this thread),
    /// fails awaited futures that can no longer complete, closes watched descriptors.
    private func finish() {
        trace(.tickBegan, arg: lastSleepTicks)
        var ran = 0
        let cancelled = timers.cancelAll()
        for traceID in cancelled {
            traceAtClock(.timerCancelled, id: traceID)
        }
        while true {
            drainRemote()
            let awaited = awaitedFutures
            awaitedFutures = [:]
            for failForShutdown in awaited.values {
                failForShutdown()
            }
            guard !callbacks.isEmpty || !microtasks.isEmpty else { break }
            drainMicrotasks(&ran, budget: .max)
            while let item = callbacks.popFirst() {
                ran += 1
                run(item)
                drainMicrotasks(&ran, budget: .max)
            }
        }
        for (fd, registration) in reactor.registrations {
            _ = reactor.remove(fd: fd, generation: registration.generation)
            trace(.ioUnregistered, id: UInt64(UInt32(bitPattern: fd)))
            Glibc.close(fd)
        }
        reactor.close()
        trace(.tickEnded, id: UInt64(ran), arg: 0)
        trace(.loopStopped, id: UInt64(cancelled.count))
        state.store(State.stopped, ordering: .releasing)
    }
}

/// Loop ids, unique in the process.
private let loopIDs = Atomic<UInt16>(0)

/// The process-wide default region, created on first use.
/// The process-wide region: published for `asynctop attach` when the environment has `ASYNCTOP_PUBLISH=1`,
/// else anonymous memory.
private let processRegion: Result<Region, RegionError> = Result { () throws(RegionError) -> Region in
    if let flag = getenv("ASYNCTOP_PUBLISH"), String(cString: flag) == "1" { return try Region.publish() }
    return try Region()
}

/// Whether tracing is on (`Tracer.isEnabled`), read inline: one relaxed load, no call.
@inline(__always)
var tracingEnabled: Bool { asynctop_tracing_enabled() }
