import Hummingbird
import NIOCore
import Tracing

#if canImport(Glibc)
    import Glibc
#endif

/// The routes, each teaching one thing asynctop shows. Every request is a span (`TracingMiddleware`), so asynctop
/// names the task serving it by route.
enum Routes {
    static func add(to router: Router<ServerContext>) {
        // Fast: what wrk measures. A few microseconds of work; the loops and the pool stay mostly idle.
        router.get("fast") { _, _ in "ok\n" }

        // CPU-heavy: ~5 ms of arithmetic on a cooperative pool thread, short of the 10 ms blocking threshold.
        // The pool's busy share rises with the request rate; nothing else waits for long.
        router.get("cpu") { _, _ in "\(spin(milliseconds: 5))\n" }

        // Sleeps 100 ms without holding a thread: the task waits, the pool stays free.
        router.get("sleep") { _, _ in
            try await Task.sleep(for: .milliseconds(100))
            return "slept\n"
        }

        // Fans out: eight named child tasks, each with a span of its own, sleeping 20 ms together.
        router.get("fanout") { _, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for part in 1...8 {
                    group.addTask(name: "fanout part \(part)") {
                        try await withSpan("fanout part \(part)") { _ in try await Task.sleep(for: .milliseconds(20)) }
                    }
                }
                try await group.waitForAll()
            }
            return "8 parts\n"
        }

        // Blocks a cooperative pool thread for 200 ms (a synchronous sleep, as a blocking file or database call
        // would): every task queued behind it on that thread waits. asynctop warns: blocking, holding a pool thread.
        router.get("block-pool") { _, _ in
            usleep(200_000)
            return "blocked a pool thread\n"
        }

        // Blocks the NIO loop of this connection for 200 ms: every other connection on that loop stalls, however
        // idle the pool is. asynctop warns: blocking, a 200 ms turn of that NIO loop.
        router.get("block-loop") { _, context in
            _ = try await context.eventLoop.submit { usleep(200_000) }.get()
            return "blocked an event loop\n"
        }
    }

    /// Spins for about `milliseconds` of CPU, returning a value the optimiser cannot drop.
    static func spin(milliseconds: Int) -> UInt64 {
        let clock = ContinuousClock()
        let end = clock.now + .milliseconds(milliseconds)
        var value: UInt64 = 0x9E37_79B9_7F4A_7C15
        while clock.now < end {
            for _ in 0..<1_000 { value = value &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 }
        }
        return value
    }
}
