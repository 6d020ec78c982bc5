import AsyncTopRuntime
import AsyncTopTrace
import Testing

@Suite("Callbacks and microtasks", .timeLimit(.minutes(1)))
struct CallbackTests {
    @Test("callbacks run in FIFO order, on the loop thread")
    func fifo() async throws {
        let loop = try EventLoop(name: "fifo")
        let order = LoopConfined<[Int]>([])
        let onLoop = LoopConfined(true)
        for index in 0..<1000 {
            loop.execute {
                order.value.append(index)
                if !loop.inEventLoop { onLoop.value = false }
            }
        }
        try await loop.run {}
        #expect(try await loop.run { order.value } == Array(0..<1000))
        #expect(try await loop.run { onLoop.value })
        #expect(!loop.inEventLoop)
        await loop.shutdown()
    }

    @Test("callbacks queued on the loop run FIFO after those already queued")
    func fifoFromLoop() async throws {
        let loop = try EventLoop(name: "fifo-local")
        let order = LoopConfined<[String]>([])
        try await loop.run {
            loop.execute { order.value.append("a") }
            loop.execute {
                order.value.append("b")
                loop.execute { order.value.append("d") }
            }
            loop.execute { order.value.append("c") }
        }
        try await loop.run {}
        #expect(try await loop.run { order.value } == ["a", "b", "c", "d"])
        await loop.shutdown()
    }

    @Test("microtasks are drained after each callback, before the next one")
    func microtasksBeforeNextCallback() async throws {
        let loop = try EventLoop(name: "microtasks")
        let order = LoopConfined<[String]>([])
        try await loop.run {
            loop.execute {
                order.value.append("callback 1")
                loop.enqueueMicrotask {
                    order.value.append("microtask 1a")
                    loop.enqueueMicrotask { order.value.append("microtask 1c (queued by 1a)") }
                }
                loop.enqueueMicrotask { order.value.append("microtask 1b") }
            }
            loop.execute {
                order.value.append("callback 2")
                loop.enqueueMicrotask { order.value.append("microtask 2") }
            }
        }
        try await loop.run {}
        #expect(
            try await loop.run { order.value } == [
                "callback 1", "microtask 1a", "microtask 1b", "microtask 1c (queued by 1a)", "callback 2",
                "microtask 2"
            ])
        await loop.shutdown()
    }

    @Test("a microtask queued from another thread runs on the loop")
    func remoteMicrotask() async throws {
        let loop = try EventLoop(name: "remote-microtask")
        let ran = Promise<Bool>(on: loop)
        loop.enqueueMicrotask { ran.succeed(loop.inEventLoop) }
        #expect(try await ran.future.value)
        await loop.shutdown()
    }

    @Test("a throwing callback is counted and the loop goes on")
    func throwingCallback() async throws {
        let loop = try EventLoop(name: "throwing")
        loop.execute { throw Boom() }
        let after = try await loop.run { 42 }
        #expect(after == 42)
        #expect(loop.unobservedFailureCount == 1)
        await #expect(throws: Boom.self) { try await loop.submit { () throws -> Int in throw Boom() }.value }
        #expect(loop.unobservedFailureCount == 1)
        await loop.shutdown()
    }

    @Test("an endless microtask chain does not starve a timer while the budget is on")
    func budgetStopsStarvation() async throws {
        let loop = try EventLoop(name: "budget")
        let stop = LoopConfined(false)
        let links = LoopConfined(0)
        let fired = Promise<Int>(on: loop)
        try await loop.run {
            loop.schedule(after: .milliseconds(1)) {
                stop.value = true
                fired.succeed(links.value)
            }
            @Sendable func link() {
                links.value += 1
                if !stop.value { loop.enqueueMicrotask(link) }
            }
            link()
        }
        #expect(try await fired.future.value > 0)
        await loop.shutdown()
    }

    @Test("with the budget off a microtask chain runs to its end before due timers; with it on it is cut")
    func budgetOff() async throws {
        for budget in [nil, 100] as [Int?] {
            let loop = try EventLoop(name: "budget-\(budget.map(String.init) ?? "off")")
            loop.turnBudget = budget
            #expect(loop.turnBudget == budget)
            let links = LoopConfined(0)
            let seenByTimer = Promise<Int>(on: loop)
            try await loop.run {
                loop.schedule(after: .zero) { seenByTimer.succeed(links.value) }
                @Sendable func link() {
                    links.value += 1
                    if links.value < 10_000 { loop.enqueueMicrotask(link) }
                }
                link()
            }
            let seen = try await seenByTimer.future.value
            if budget == nil {
                #expect(seen == 10_000)
            } else {
                #expect(seen < 10_000)
            }
            await loop.shutdown()
        }
    }
}
