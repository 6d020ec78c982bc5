import AsyncTopRuntime

#if canImport(Glibc)
import Glibc
#endif

/// A value shared between threads, behind a pthread mutex (which ThreadSanitizer sees, unlike the futex-based
/// `Synchronization.Mutex` on Linux).
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var storage: Value

    init(_ value: Value) {
        storage = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body(&storage)
    }

    var value: Value { withLock { $0 } }
}

/// State touched only on one loop's thread, so it needs no lock (the loop's own confinement is under test).
final class LoopConfined<Value>: @unchecked Sendable {
    var value: Value

    init(_ value: Value) {
        self.value = value
    }
}

/// An error with a recognisable description.
struct Boom: Error, CustomStringConvertible, Equatable {
    var label = "boom"
    var description: String { "Boom(\(label))" }
}

extension EventLoop {
    /// Runs `body` on the loop and waits for its result.
    func run<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await submit(body).value
    }
}
