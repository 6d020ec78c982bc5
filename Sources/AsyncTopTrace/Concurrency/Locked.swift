#if canImport(Glibc)
    import Glibc
#endif

/// A value behind a pthread mutex: the name table's state, an event loop's remote queue, the step-mode gate.
///
/// A pthread mutex rather than `Synchronization.Mutex`: on Linux ThreadSanitizer sees pthread locking but not the
/// standard library's futex-based mutex, and `swift test --sanitize=thread` must be able to check the loop.
/// Cost: one uncontended lock/unlock pair per `withLock`, no allocation.
public final class Locked<Value>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline var storage: Value

    public init(_ value: Value) {
        storage = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inlinable @inline(__always)
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&storage)
    }

    /// A copy of the value, read under the lock.
    public var value: Value { withLock { $0 } }
}
