import AsyncTopTrace
import CAsyncTopSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The loop as a Swift executor: `Task(executorPreference: loop)` and `spawn` run async code on the loop's
/// thread, one job per callback-queue item, each traced as a poll of its task.
///
/// A task's identity in the trace is the Swift runtime's task id, which stays the same across suspensions.
/// Enqueueing a job from the loop thread is a `Deque` append (no lock, no allocation); from another thread it
/// goes through the remote queue. After shutdown, jobs are handed to the global concurrent executor, so that
/// tasks still finish instead of hanging.
extension EventLoop: TaskExecutor, SerialExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if inEventLoop {
            enqueueJobLocal(job)
            return
        }
        let item = RemoteItem(
            work: .job(job), enqueuedAt: stamp(), site: CallSite(file: #fileID, line: #line),
            spawn: claimSpawnRecord())
        if !enqueueRemote(item) {
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }

    public func checkIsolated() {
        precondition(inEventLoop, "expected to run on \(self)")
    }

    public func isIsolatingCurrentContext() -> Bool? {
        inEventLoop
    }

    /// Runs `operation` as a new task on this loop and returns a future of its result. The task is traced with
    /// `name`, with the task that called `spawn` (if any) as its parent, and its end as completed, failed (with
    /// the error's description) or cancelled. `future.cancel()` cancels the task. After shutdown the future fails
    /// with `LoopError.shutDown` and nothing runs.
    ///
    /// Inlinable, so that the task's body and its future are specialized for `Success` where it is called
    /// (unspecialized generic code looks up type metadata at run time). On the loop thread a repeated `name`
    /// costs a compare in the loop's small cache of task names, not the name table's lock.
    @discardableResult @inlinable
    public func spawn<Success: Sendable>(
        name: String? = nil, file: StaticString = #fileID, line: UInt = #line,
        _ operation: @escaping @Sendable () async throws -> Success
    ) -> Future<Success> {
        guard isOpen else {
            return Future(loop: self, result: .failure(LoopError.shutDown))
        }
        let future = Future<Success>(loop: self)
        // The body is written out here rather than in an async helper: each async call level costs the task a
        // frame allocation.
        let task = startTask(named: name, site: CallSite(file: file, line: line)) {
            Task(executorPreference: self) {
                do {
                    let value = try await operation()
                    self.traceTaskEnd(failure: nil)
                    future.completeFromAnyThread(.success(value))
                } catch {
                    // On the loop thread (the future's own), so that a failure nobody observes names this task.
                    future.failedTaskID = self.traceTaskEnd(failure: error)
                    future.completeFromAnyThread(.failure(error))
                }
            }
        }
        future.setCancellationHandler { task.cancel() }
        return future
    }

    /// Runs `start`, which creates a task on this loop, with a spawn record for `enqueue` to trace the task's
    /// first job as spawned with `name` and with the calling task as its parent. When tracing is off there is
    /// nothing to record.
    @usableFromInline
    func startTask(named name: String?, site: CallSite, _ start: () -> Task<Void, Never>) -> Task<Void, Never> {
        guard tracingEnabled else { return start() }
        var record = SpawnRecord(
            loopID: id, name: name.map(taskName) ?? .none, parent: currentTaskIDHere(), site: site, claimed: false)
        // The task's first job is enqueued synchronously by `Task.init`; `enqueue` picks the record up there: from
        // the loop's own field on the loop's thread, else from the calling thread's.
        return withUnsafeMutablePointer(to: &record) { pointer in
            if inEventLoop {
                let previous = localSpawnRecord
                localSpawnRecord = pointer
                defer { localSpawnRecord = previous }
                return start()
            }
            let previous = pthread_getspecific(spawnRecordKey)
            pthread_setspecific(spawnRecordKey, pointer)
            defer { pthread_setspecific(spawnRecordKey, previous) }
            return start()
        }
    }

    /// Traces the end of the spawned task running on the calling thread: completed, cancelled, or failed with
    /// `failure`'s description. Returns the task's trace id (0 when untraced or off the loop thread).
    @usableFromInline @discardableResult
    func traceTaskEnd(failure: (any Error)?) -> UInt64 {
        guard tracingEnabled && inEventLoop else { return 0 }
        let taskID = currentTaskIDHere()
        switch failure {
        case nil:
            trace(.taskCompleted, id: taskID)
        case let error? where error is CancellationError:
            trace(.taskCancelled, id: taskID)
        case let error?:
            trace(.taskFailed, id: taskID, arg: UInt64(errorName(error).rawValue))
        }
        return taskID
    }

    /// Suspends the calling task for at least `duration`, using a timer of this loop. Throws
    /// `CancellationError` if the task is cancelled first, `LoopError.shutDown` if the loop shuts down first.
    public func sleep(for duration: Duration, file: StaticString = #fileID, line: UInt = #line) async throws {
        let promise = makePromise(of: Void.self)
        let deadline = (LoopDeadline.now() + duration).uptimeNanoseconds
        guard
            let key = armTimer(
                deadline: deadline, body: .once { promise.succeed(()) }, site: CallSite(file: file, line: line))
        else { throw LoopError.shutDown }
        let timer = TimerHandle(loop: self, key: key)
        try await withTaskCancellationHandler {
            try await promise.future.value
        } onCancel: {
            timer.cancel()
            promise.fail(CancellationError())
        }
    }

    /// The Swift runtime's id of the task running on the calling thread, 0 outside a task.
    static func currentTaskID() -> UInt64 {
        withUnsafeCurrentTask { task in
            guard let task else { return 0 }
            return swiftJobTaskID(unsafeBitCast(task, to: UnsafeRawPointer.self))
        }
    }

    /// `currentTaskID()` for the calling thread, answered from the loop's own record when the caller is the loop's
    /// thread: `withUnsafeCurrentTask` is generic and not inlinable (~150 instructions a call, twice a spawn).
    func currentTaskIDHere() -> UInt64 {
        guard inEventLoop else { return EventLoop.currentTaskID() }
        switch runningTask {
        case nil: return 0
        case 0?: return EventLoop.currentTaskID()
        case let taskID?: return taskID
        }
    }

    /// The id of the task a job belongs to (a task's jobs are the task itself).
    static func taskID(of job: UnownedJob) -> UInt64 {
        swiftJobTaskID(unsafeBitCast(job, to: UnsafeRawPointer.self))
    }

    /// `taskWoken`'s arg for a task's job (`TaskWake`): is the task a structured child, is it cancelled. Two calls
    /// into the runtime, each a load; the job must be a task's (`taskID(of:)` is not 0).
    static func wake(of job: UnownedJob) -> UInt64 {
        let task = unsafeBitCast(job, to: UnsafeRawPointer.self)
        var wake: TaskWake = []
        if asynctop_job_flags(task) & TaskWake.structuredJobFlags != 0 { wake.insert(.structuredChild) }
        if asynctop_task_is_cancelled(task) { wake.insert(.cancelled) }
        return wake.rawValue
    }

    /// The spawn in progress for this loop, once: the first job enqueued during `spawn` is the new task's. On the
    /// loop's own thread the record is in `localSpawnRecord`, on any other in the thread-local slot.
    func claimSpawnRecord() -> SpawnRecord? {
        let slot =
            inEventLoop
            ? localSpawnRecord : pthread_getspecific(spawnRecordKey)?.assumingMemoryBound(to: SpawnRecord.self)
        guard let record = slot, record.pointee.loopID == id, !record.pointee.claimed else { return nil }
        record.pointee.claimed = true
        return record.pointee
    }
}

/// The Swift runtime's task id for a job (for a task's job: the task's id, stable across suspensions).
@_silgen_name("swift_task_getJobTaskId")
private func swiftJobTaskID(_ job: UnsafeRawPointer) -> UInt64

/// Thread-local pointer to the `SpawnRecord` of a `spawn` in progress on the thread.
private let spawnRecordKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()
