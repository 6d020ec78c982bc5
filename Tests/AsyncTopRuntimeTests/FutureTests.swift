import AsyncTopRuntime
import AsyncTopTrace
import Testing

@Suite("Futures and promises", .timeLimit(.minutes(1)))
struct FutureTests {
    @Test("map, flatMap and recover chain values and errors")
    func combinators() async throws {
        let loop = try EventLoop(name: "combinators")
        let other = try EventLoop(name: "combinators-other")
        let value = try await loop.makeSucceededFuture(20)
            .map { $0 + 1 }
            .flatMap { value in other.submit { value * 2 } }
            .map { "\($0)" }
            .value
        #expect(value == "42")

        let failed = loop.makeSucceededFuture(1).map { _ -> Int in throw Boom(label: "map") }.map { $0 + 1 }
        await #expect(throws: Boom(label: "map")) { try await failed.value }
        #expect(try await failed.recover { _ in -1 }.value == -1)
        await loop.shutdown()
        await other.shutdown()
    }

    @Test("values of every size and kind survive a future, and the future lets go of them when it is released")
    func valuesOfEverySize() async throws {
        struct Wide: Sendable, Equatable {
            var a = 1, b = 2, c = 3, d = 4, e = 5  // five words: kept in a box, not inline
        }
        final class Tracked: Sendable {}
        final class Watch: @unchecked Sendable {
            weak var inline: Tracked?
            weak var boxed: Tracked?
        }
        let loop = try EventLoop(name: "values")
        #expect(try await loop.submit { Wide() }.value == Wide())
        #expect(try await loop.submit { "a string long enough to live on the heap" }.value.count == 40)
        #expect(try await loop.submit { (7, 8.5, UInt8(9)) }.value == (7, 8.5, 9))
        #expect(try await loop.submit { Int?.none }.value == nil)
        try await loop.submit {}.value

        let watch = Watch()
        try await loop.run {
            var futures: (Future<Tracked>, Future<(Tracked, Wide)>)? = {
                let inline = Tracked()
                let boxed = Tracked()
                watch.inline = inline
                watch.boxed = boxed
                return (loop.makeSucceededFuture(inline), loop.makeSucceededFuture((boxed, Wide())))
            }()
            #expect(futures != nil && watch.inline != nil && watch.boxed != nil)  // only the futures hold them
            futures = nil
            #expect(futures == nil && watch.inline == nil && watch.boxed == nil)
        }
        await loop.shutdown()
    }

    @Test("a long chain built on the loop completes without growing the stack")
    func longChain() async throws {
        let loop = try EventLoop(name: "long-chain")
        let chain = try await loop.run {
            var future = loop.makeSucceededFuture(0)
            for _ in 0..<50_000 {
                future = future.map { $0 + 1 }
            }
            return future
        }
        #expect(try await chain.value == 50_000)
        await loop.shutdown()
    }

    @Test("callbacks run in the order they were added, as microtasks after the completing callback")
    func callbackOrder() async throws {
        let loop = try EventLoop(name: "callback-order")
        let order = LoopConfined<[String]>([])
        let promise = loop.makePromise(of: Int.self)
        try await loop.run {
            promise.future.whenComplete { _ in order.value.append("first") }
            promise.future.whenSuccess { order.value.append("second \($0)") }
            promise.future.whenFailure { _ in order.value.append("never") }
            loop.execute {
                promise.succeed(7)
                promise.succeed(8)
                order.value.append("completing callback")
            }
            loop.execute { order.value.append("next callback") }
        }
        try await loop.run {}
        #expect(try await loop.run { order.value } == ["completing callback", "first", "second 7", "next callback"])
        await loop.shutdown()
    }

    @Test("all gathers in order and fails fast; any races")
    func allAndAny() async throws {
        let loop = try EventLoop(name: "all-any")
        let promises = (0..<5).map { _ in loop.makePromise(of: Int.self) }
        let gathered = Future.all(promises.map(\.future), on: loop)
        for (index, promise) in promises.enumerated().reversed() { promise.succeed(index * 10) }
        #expect(try await gathered.value == [0, 10, 20, 30, 40])
        #expect(try await Future<Int>.all([], on: loop).value == [])

        let slow = loop.makePromise(of: Int.self)
        let failing = Future.all([slow.future, loop.makeFailedFuture(Boom(label: "all"))], on: loop)
        await #expect(throws: Boom(label: "all")) { try await failing.value }
        slow.succeed(1)

        let late = loop.makePromise(of: String.self)
        let early = loop.makePromise(of: String.self)
        let race = Future.any([late.future, early.future], on: loop)
        early.succeed("early")
        #expect(try await race.value == "early")
        late.succeed("late")
        #expect(try await race.value == "early")
        await loop.shutdown()
    }

    @Test("a timeout fails the future and cancels the work behind it")
    func timeout() async throws {
        let loop = try EventLoop(name: "timeout")
        let never = loop.makePromise(of: Int.self)
        let cancelled = loop.makePromise(of: Void.self)
        never.onCancel { cancelled.succeed(()) }
        await #expect(throws: LoopError.timedOut) { try await never.future.timeout(after: .milliseconds(5)).value }
        try await cancelled.future.value
        await #expect(throws: CancellationError.self) { try await never.future.value }

        let quick = loop.makePromise(of: Int.self)
        let limited = quick.future.timeout(after: .seconds(30))
        quick.succeed(3)
        #expect(try await limited.value == 3)
        await loop.shutdown()
    }

    @Test("cancel fails a pending future with CancellationError, runs its handler, and spares completed ones")
    func cancel() async throws {
        let loop = try EventLoop(name: "cancel-future")
        let promise = loop.makePromise(of: Int.self)
        let handlerRan = Locked(false)
        promise.onCancel { handlerRan.withLock { $0 = true } }
        let derived = promise.future.map { $0 + 1 }
        derived.cancel()
        await #expect(throws: CancellationError.self) { try await promise.future.value }
        await #expect(throws: CancellationError.self) { try await derived.value }
        #expect(handlerRan.value)
        promise.succeed(1)
        await #expect(throws: CancellationError.self) { try await promise.future.value }

        let done = loop.makeSucceededFuture(5)
        done.cancel()
        #expect(try await done.value == 5)
        await loop.shutdown()
    }

    @Test("a failed future nobody observed is counted")
    func unobservedFailure() async throws {
        let loop = try EventLoop(name: "unobserved")
        try await loop.run {
            _ = loop.makeFailedFuture(Boom(), of: Int.self)
            loop.makeFailedFuture(Boom(), of: Int.self).whenFailure { _ in }
        }
        try await loop.run {}
        #expect(loop.unobservedFailureCount == 1)
        await loop.shutdown()
    }
}
