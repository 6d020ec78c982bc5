import AsyncTopRuntime
import AsyncTopTrace
import Dispatch
import Testing

@Suite("Timers", .timeLimit(.minutes(1)))
struct TimerTests {
    @Test("timers never fire before their deadline")
    func neverEarly() async throws {
        let loop = try EventLoop(name: "never-early")
        let early = Locked(0)
        var fired: [Future<Void>] = []
        for step in 0..<30 {
            let promise = loop.makePromise(of: Void.self)
            let deadline = LoopDeadline.now() + .microseconds(step * 300)
            loop.schedule(at: deadline) {
                if LoopDeadline.now() < deadline { early.withLock { $0 += 1 } }
                promise.succeed(())
            }
            fired.append(promise.future)
        }
        _ = try await Future.all(fired, on: loop).value
        #expect(early.value == 0)
        await loop.shutdown()
    }

    @Test("equal deadlines fire in arming order")
    func equalDeadlines() async throws {
        let loop = try EventLoop(name: "equal-deadlines")
        let order = LoopConfined<[Int]>([])
        let done = loop.makePromise(of: [Int].self)
        try await loop.run {
            let deadline = LoopDeadline.now() + .milliseconds(2)
            for index in 0..<200 {
                loop.schedule(at: deadline) { order.value.append(index) }
            }
            loop.schedule(at: deadline) { done.succeed(order.value) }
        }
        #expect(try await done.future.value == Array(0..<200))
        await loop.shutdown()
    }

    @Test("a timer cancelled before its deadline never fires, from the loop or another thread")
    func cancelledNeverFires() async throws {
        let loop = try EventLoop(name: "cancel")
        let fired = Locked<[String]>([])
        try await loop.run {
            let handle = loop.schedule(after: .milliseconds(1)) { fired.withLock { $0.append("local") } }
            handle.cancel()
            handle.cancel()
        }
        // From another thread a cancel is queued to the loop: it wins if it gets there before the deadline. Hold
        // the loop so that arming and cancelling reach it together, even for timers already due.
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        loop.execute {
            holding.signal()
            release.wait()
        }
        holding.wait()
        let remote = loop.schedule(after: .zero) { fired.withLock { $0.append("remote") } }
        remote.cancel()
        let repeating = loop.scheduleRepeating(every: .milliseconds(1), startingAfter: .zero) { _ in
            fired.withLock { $0.append("repeating") }
        }
        repeating.cancel()
        release.signal()
        // Timers fire in deadline order: a cancelled timer that fired would have fired before this probe.
        let probe = loop.makePromise(of: Void.self)
        loop.schedule(after: .milliseconds(5)) { probe.succeed(()) }
        try await probe.future.value
        #expect(fired.value.isEmpty)
        await loop.shutdown()
    }

    @Test("arming and cancelling many timers keeps the queue consistent")
    func armAndCancelMany() async throws {
        let loop = try EventLoop(name: "arm-cancel")
        let fired = LoopConfined<[Int]>([])
        let done = loop.makePromise(of: [Int].self)
        try await loop.run {
            for index in 0..<20_000 {
                let handle = loop.schedule(after: .milliseconds(1 + index % 7)) { fired.value.append(index) }
                if index % 1000 != 0 { handle.cancel() }
            }
            loop.schedule(after: .milliseconds(20)) { done.succeed(fired.value.sorted()) }
        }
        #expect(try await done.future.value == stride(from: 0, to: 20_000, by: 1000).map { $0 })
        await loop.shutdown()
    }

    @Test("a fixed-rate timer keeps its rate: deadlines are start + n × period")
    func fixedRate() async throws {
        let loop = try EventLoop(name: "fixed-rate")
        let period = Duration.milliseconds(2)
        let ticks = LoopConfined<[TimerTick]>([])
        let done = loop.makePromise(of: [TimerTick].self)
        let early = Locked(false)
        loop.scheduleRepeating(every: period, mode: .fixedRate) { tick in
            if LoopDeadline.now() < tick.deadline { early.withLock { $0 = true } }
            ticks.value.append(tick)
            if tick.firing == 3 {
                // A slow callback: later deadlines stay on the grid.
                let until = LoopDeadline.now() + .milliseconds(7)
                while LoopDeadline.now() < until {}
            }
            if tick.firing == 10 {
                tick.handle.cancel()
                loop.schedule(after: .milliseconds(10)) { done.succeed(ticks.value) }
            }
        }
        let recorded = try await done.future.value
        #expect(recorded.count == 10)
        #expect(!early.value)
        let start = recorded[0].deadline
        for (index, tick) in recorded.enumerated() {
            #expect(tick.firing == index + 1)
            #expect(tick.deadline == start + period * index)
        }
        await loop.shutdown()
    }

    @Test("a fixed-delay timer keeps its gap: each deadline is a period after the previous callback returned")
    func fixedDelay() async throws {
        let loop = try EventLoop(name: "fixed-delay")
        let period = Duration.milliseconds(2)
        let record = LoopConfined<[(deadline: LoopDeadline, end: LoopDeadline)]>([])
        let done = loop.makePromise(of: Int.self)
        loop.scheduleRepeating(every: period, mode: .fixedDelay) { tick in
            let until = LoopDeadline.now() + .milliseconds(1)
            while LoopDeadline.now() < until {}
            record.value.append((tick.deadline, LoopDeadline.now()))
            if tick.firing == 6 {
                tick.handle.cancel()
                done.succeed(tick.firing)
            }
        }
        #expect(try await done.future.value == 6)
        let gaps = try await loop.run {
            zip(record.value, record.value.dropFirst()).map { previous, next in next.deadline - previous.end }
        }
        #expect(gaps.count == 5)
        #expect(gaps.allSatisfy { $0 >= period })
        await loop.shutdown()
    }

    @Test("a throwing timer is counted as an unobserved failure and the loop goes on")
    func throwingTimer() async throws {
        let loop = try EventLoop(name: "throwing-timer")
        let after = loop.makePromise(of: Void.self)
        loop.schedule(after: .zero) { throw Boom() }
        loop.schedule(after: .milliseconds(1)) { after.succeed(()) }
        try await after.future.value
        #expect(loop.unobservedFailureCount == 1)
        await loop.shutdown()
    }
}
