import AsyncTopRuntime
import AsyncTopTrace
import Testing

/// An actor whose jobs run on an event loop.
actor LoopBoundCounter {
    nonisolated let loop: EventLoop
    private var count = 0

    init(loop: EventLoop) {
        self.loop = loop
    }

    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    func increment() -> (count: Int, onLoop: Bool) {
        count += 1
        return (count, loop.inEventLoop)
    }
}

@Suite("Swift tasks on the loop", .timeLimit(.minutes(1)))
struct TaskTests {
    @Test("spawned tasks run on the loop and await futures, timers and each other")
    func spawnAndAwait() async throws {
        let loop = try EventLoop(name: "tasks")
        let promise = loop.makePromise(of: Int.self)
        let first = loop.spawn(name: "first") { () async throws -> Int in
            #expect(loop.inEventLoop)
            let fromPromise = try await promise.future.value
            #expect(loop.inEventLoop)
            let start = LoopDeadline.now()
            try await loop.sleep(for: .milliseconds(3))
            #expect(LoopDeadline.now() - start >= .milliseconds(3))
            #expect(loop.inEventLoop)
            return fromPromise + 1
        }
        let second = loop.spawn(name: "second") { () async throws -> Int in
            await Task.yield()
            let fromFirst = try await first.value
            #expect(loop.inEventLoop)
            return fromFirst * 2
        }
        loop.schedule(after: .milliseconds(1)) { promise.succeed(20) }
        #expect(try await second.value == 42)
        #expect(try await first.value == 21)
        await loop.shutdown()
    }

    @Test("Task(executorPreference:) runs on the loop, and the loop can be an actor's executor")
    func executorPreference() async throws {
        let loop = try EventLoop(name: "preference")
        let onLoop = await Task(executorPreference: loop) { () async -> Bool in
            await Task.yield()
            return loop.inEventLoop
        }.value
        #expect(onLoop)
        let counter = LoopBoundCounter(loop: loop)
        let first = await counter.increment()
        let second = await counter.increment()
        #expect(first.count == 1 && first.onLoop)
        #expect(second.count == 2 && second.onLoop)
        await loop.shutdown()
    }

    @Test("many tasks, each yielding, all complete")
    func manyTasks() async throws {
        let loop = try EventLoop(name: "many-tasks")
        let futures = (0..<2000).map { index in
            loop.spawn { () async -> Int in
                await Task.yield()
                return index
            }
        }
        let values = try await Future.all(futures, on: loop).value
        #expect(values == Array(0..<2000))
        await loop.shutdown()
    }

    @Test("a failing task fails its future; cancelling the future cancels the task")
    func failureAndCancellation() async throws {
        let loop = try EventLoop(name: "task-failure")
        let failing = loop.spawn(name: "failing") { () async throws -> Int in throw Boom(label: "task") }
        await #expect(throws: Boom(label: "task")) { try await failing.value }

        let sawCancellation = loop.makePromise(of: Bool.self)
        let started = loop.makePromise(of: Void.self)
        let sleeper = loop.spawn(name: "sleeper") { () async throws -> Int in
            started.succeed(())
            do {
                try await loop.sleep(for: .seconds(3600))
                sawCancellation.succeed(false)
            } catch {
                sawCancellation.succeed(error is CancellationError)
                throw error
            }
            return 0
        }
        try await started.future.value
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(try await sawCancellation.future.value)

        let outer = Task(executorPreference: loop) { () async throws -> Void in
            try await loop.sleep(for: .seconds(3600))
        }
        outer.cancel()
        await #expect(throws: CancellationError.self) { try await outer.value }
        await loop.shutdown()
    }

    @Test("a failed task nobody awaits is counted as unobserved")
    func unobservedTaskFailure() async throws {
        let loop = try EventLoop(name: "task-unobserved")
        let finished = loop.makePromise(of: Void.self)
        loop.spawn { () async throws -> Int in
            defer { finished.succeed(()) }
            throw Boom()
        }
        try await finished.future.value
        try await loop.run {}
        try await loop.run {}
        #expect(loop.unobservedFailureCount == 1)
        await loop.shutdown()
    }
}
