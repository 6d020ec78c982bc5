import AsyncTopRuntime
import AsyncTopTrace

#if canImport(Glibc)
    import Glibc
#endif

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
