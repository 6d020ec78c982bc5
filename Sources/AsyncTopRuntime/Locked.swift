#if canImport(Glibc)
import Glibc
#endif

/// A value behind a pthread mutex, for the loop's remote queue.
///
/// A pthread mutex rather than `Synchronization.Mutex`: on Linux ThreadSanitizer sees pthread locking but not the
/// standard library's futex-based mutex, and `swift test --sanitize=thread` must be able to check the loop.
/// Cost: one uncontended lock/unlock pair per `withLock`, no allocation.
final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always)
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
