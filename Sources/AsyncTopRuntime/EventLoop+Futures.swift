import AsyncTopTrace
import CAsyncTopSupport
import DequeModule
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Futures made on the loop, the awaited ones shutdown fails, unobserved failures, task and error names.
extension EventLoop {
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
    public func makeFailedFuture<Value: Sendable>(_ error: any Error, of type: Value.Type = Value.self) -> Future<Value>
    {
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

    func traceUnobservedFailure(count: Int, error: (any Error)?, task: UInt64) {
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
}
