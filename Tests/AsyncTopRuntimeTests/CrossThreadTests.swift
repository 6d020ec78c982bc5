import AsyncTopRuntime
import AsyncTopTrace
import Testing

@Suite("Cross-thread submission", .timeLimit(.minutes(2)))
struct CrossThreadTests {
    @Test("work posted from many threads is run once each, in each thread's order")
    func stress() async throws {
        let loop = try EventLoop(name: "stress")
        let producers = 4
        let perProducer = 20_000
        let seen = LoopConfined([[Int]](repeating: [], count: producers))
        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<producers {
                group.addTask {
                    for index in 0..<perProducer {
                        switch index % 4 {
                        case 0: loop.execute { seen.value[producer].append(index) }
                        case 1: loop.enqueueMicrotask { seen.value[producer].append(index) }
                        case 2: _ = loop.submit { seen.value[producer].append(index) }
                        default: loop.execute { seen.value[producer].append(index) }
                        }
                    }
                }
            }
        }
        let result = try await loop.run { seen.value }
        for producer in 0..<producers {
            // Nothing lost or run twice; callbacks (execute, submit) in posting order, microtasks likewise (a
            // microtask from another thread runs before the callbacks queued with it: it is drained first).
            #expect(result[producer].sorted() == Array(0..<perProducer))
            #expect(result[producer].filter { $0 % 4 != 1 } == (0..<perProducer).filter { $0 % 4 != 1 })
            #expect(result[producer].filter { $0 % 4 == 1 } == (0..<perProducer).filter { $0 % 4 == 1 })
        }
        await loop.shutdown()
    }

    @Test("a loop that sleeps between submissions is woken every time")
    func pingPong() async throws {
        let loop = try EventLoop(name: "ping-pong")
        var total = 0
        for index in 0..<2000 {
            total += try await loop.run { index }
        }
        #expect(total == (0..<2000).reduce(0, +))
        await loop.shutdown()
    }

    @Test("timers armed and cancelled from other threads")
    func remoteTimers() async throws {
        let loop = try EventLoop(name: "remote-timers")
        let fired = Locked(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for index in 0..<500 {
                        let handle = loop.schedule(after: .microseconds(index % 50)) { fired.withLock { $0 += 1 } }
                        if index % 2 == 1 { handle.cancel() }
                    }
                }
            }
        }
        let probe = loop.makePromise(of: Void.self)
        loop.schedule(after: .milliseconds(5)) { probe.succeed(()) }
        try await probe.future.value
        // Odd timers were cancelled right after arming, but a cancel from another thread may arrive after the
        // timer fired; even timers all fire.
        #expect(fired.value >= 1000)
        #expect(fired.value <= 2000)
        await loop.shutdown()
    }

    @Test("an event loop group hands out its loops round-robin")
    func group() async throws {
        let group = try EventLoopGroup(threads: 3, name: "group")
        let picked = (0..<6).map { _ in group.next() }
        #expect(picked[0] !== picked[1] && picked[1] !== picked[2] && picked[0] !== picked[2])
        #expect(picked[0] === picked[3] && picked[1] === picked[4] && picked[2] === picked[5])
        for loop in group.loops {
            #expect(try await loop.run { loop.inEventLoop })
        }
        await group.shutdown()
        #expect(throws: LoopError.invalidThreadCount(0)) { try EventLoopGroup(threads: 0) }
    }
}
