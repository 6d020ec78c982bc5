import AsyncTopRuntime
import AsyncTopTrace
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Shutdown", .timeLimit(.minutes(1)))
struct ShutdownTests {
    @Test("queued work runs, armed timers are cancelled, later work is refused")
    func pendingWork() async throws {
        let loop = try EventLoop(name: "shutdown")
        let ran = Locked(0)
        let timerFired = Locked(false)
        loop.schedule(after: .seconds(3600)) { timerFired.withLock { $0 = true } }
        for _ in 0..<500 {
            loop.execute { ran.withLock { $0 += 1 } }
        }
        await loop.shutdown()
        #expect(ran.value == 500)
        #expect(!timerFired.value)

        loop.execute { ran.withLock { $0 += 1 } }
        #expect(loop.rejectedCount == 1)
        await #expect(throws: LoopError.shutDown) { try await loop.submit { 1 }.value }
        await #expect(throws: LoopError.shutDown) { try await loop.spawn { 1 }.value }
        await #expect(throws: LoopError.shutDown) { try await loop.sleep(for: .milliseconds(1)) }
        loop.schedule(after: .zero) { timerFired.withLock { $0 = true } }
        #expect(!timerFired.value)
        #expect(ran.value == 500)
        await loop.shutdown()
    }

    @Test("awaiters of futures that can no longer complete get LoopError.shutDown")
    func awaitersFail() async throws {
        let loop = try EventLoop(name: "shutdown-awaiters")
        let never = loop.makePromise(of: Int.self)
        let sleeping = loop.makePromise(of: Void.self)
        let sleeper = loop.spawn(name: "sleeper") { () async throws -> Int in
            sleeping.succeed(())
            try await loop.sleep(for: .seconds(3600))
            return 1
        }
        let waiter = loop.spawn(name: "waiter") { try await never.future.value }
        try await sleeping.future.value
        let fromOutside = Task { try await never.future.value }
        try await loop.run {}
        await loop.shutdown()
        await #expect(throws: LoopError.shutDown) { try await sleeper.value }
        await #expect(throws: LoopError.shutDown) { try await waiter.value }
        await #expect(throws: LoopError.shutDown) { try await fromOutside.value }
    }

    @Test("shutdown closes watched descriptors")
    func closesDescriptors() async throws {
        signal(SIGPIPE, SIG_IGN)
        let loop = try EventLoop(name: "shutdown-fds")
        let pipe = try Pipe()
        _ = try await loop.run { try loop.watch(pipe.reader, interest: .readable) { _, _ in } }
        await loop.shutdown()
        #expect(throws: IOError(call: "write", errno: EPIPE)) { try pipe.writer.write([1]) }
        pipe.writer.close()
    }

    @Test("shutdown from the loop thread stops the loop after the current turn")
    func shutdownFromLoop() async throws {
        let loop = try EventLoop(name: "shutdown-self")
        let after = Locked(false)
        loop.execute {
            loop.shutdown()
            loop.execute { after.withLock { $0 = true } }
        }
        await loop.shutdown()
        #expect(after.value)
        #expect(!loop.inEventLoop)
    }
}
