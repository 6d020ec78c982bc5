import AsyncTopTrace
import CAsyncTopSupport
import DequeModule
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Callbacks and microtasks: queuing from the loop thread (no lock) and from others (the remote queue).
extension EventLoop {
    /// Queues `work` to run on the loop, after the callbacks queued before it. A throw is traced as a
    /// `callbackFailed` event, counted as unobserved, and the loop goes on. Ignored after shutdown (counted in
    /// `rejectedCount`). On the loop thread: no lock, no allocation beyond the closure's context.
    @inline(__always)
    public func execute(
        file: StaticString = #fileID, line: UInt = #line, _ work: consuming @escaping @Sendable () throws -> Void
    ) {
        enqueue(.callback(work), site: CallSite(file: file, line: line))
    }

    /// `execute(_:)`, traced under `name` (shown in the callbacks view and warnings) instead of the call site.
    @inline(__always)
    public func execute(name: StaticString, _ work: consuming @escaping @Sendable () throws -> Void) {
        enqueue(.callback(work), site: CallSite(name: name))
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
            }, site: CallSite(file: file, line: line))
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
        if inEventLoop { work() } else { enqueue(.callback(work), site: CallSite(file: file, line: line)) }
    }

    /// Queues work as a callback; false if the loop refused it (shut down).
    @inline(__always) @discardableResult
    @usableFromInline
    func enqueue(_ work: consuming LoopWork, site: CallSite) -> Bool {
        if inEventLoop {
            enqueueCallbackLocal(work, site: site)
            return true
        }
        return enqueueRemote(RemoteItem(work: work, enqueuedAt: stamp(), site: site))
    }

    @inline(__always)
    func enqueueCallbackLocal(_ work: consuming LoopWork, site: CallSite) {
        let callbackID = nextCallbackID
        nextCallbackID &+= 1
        var now: UInt64 = 0
        var name = NameID.none
        if tracingEnabled {
            now = clock
            name = siteNames.name(for: site, in: region.names)
            tracer.emit(.callbackEnqueued, at: now, loop: id, name: name, id: callbackID)
        }
        callbacks.append(LoopItem(work: work, enqueuedAt: now, id: callbackID, name: name))
    }

    func enqueueMicrotaskLocal(_ work: LoopWork, site: CallSite?, enqueuedAt: UInt64? = nil) {
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
    /// the first job of a `spawn`), with what the runtime says of it (`TaskWake`). Jobs that belong to no task (the runtime's own, e.g. the hop of a
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
                    tracer.emit(
                        .taskLocation, at: now, loop: id, name: siteNames.name(for: spawn.site, in: region.names),
                        id: taskID)
                }
                tracer.emit(.taskWoken, at: now, loop: id, id: taskID, arg: EventLoop.wake(of: job))
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

    func wakeIfSleeping() {
        if sleeping.load(ordering: .sequentiallyConsistent),
            sleeping.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged
        {
            Reactor.wake(wakeFD)
        }
    }
}
