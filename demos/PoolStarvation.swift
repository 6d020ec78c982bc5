import AsyncTopRuntime
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

extension Demo {
    /// Blocking calls inside async code hold Swift's cooperative pool, then the same work done with `await`.
    public static let poolStarvation = Demo(
        name: "pool-starvation",
        summary: "blocking calls in async code hold Swift's cooperative pool and every request waits; then the fix",
        narrative: [
            "Swift runs tasks on a pool with one thread per CPU (the global executor). A 'request' task arrives "
                + "every 20 ms and needs under a millisecond. Every 2 s, 'report' tasks, one per pool thread, each "
                + "wait 500 ms.",
            "For 10 s the reports wait with usleep, a blocking call that computes nothing yet holds its thread. View "
                + "1: every 2 s the pool's delay jumps to ~500 ms and busy reads 25% (both threads held 500 ms in 2 "
                + "s). View 6: '500ms holding a pool thread' names each report; requests are 'starved'; 'pool "
                + "saturated'.",
            "For the next 10 s they wait with try await Task.sleep, which suspends the task and frees its thread: "
                + "busy falls to ~0% and the delay stays in microseconds. Never block a pool thread; await instead."
        ],
        loops: 1, usesGlobalExecutor: true,
        start: { context in
            let threads = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            let rounds = Atomic<Int>(0)
            context.every(.milliseconds(20), on: context.loop) {
                Task(name: "request") {
                    for _ in 0..<3 { await Task.yield() }
                }
            }
            context.every(.seconds(2), on: context.loop) {
                // Five rounds (10 s) blocking, five awaiting, and again.
                let blocking = (rounds.wrappingAdd(1, ordering: .relaxed).oldValue / 5).isMultiple(of: 2)
                for _ in 0..<threads {
                    if blocking {
                        Task(name: "report (usleep)") { _ = usleep(500_000) }
                    } else {
                        Task(name: "report (Task.sleep)") { try? await Task.sleep(for: .milliseconds(500)) }
                    }
                }
                context.say(
                    blocking
                        ? "\(threads) reports block their threads in usleep" : "\(threads) reports await Task.sleep")
            }
        })
}
