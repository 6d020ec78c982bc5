import AsyncTopRuntime

extension Demo {
    /// A CPU-bound callback holds the loop for 200 ms every 2 s.
    public static let blockingCallback = Demo(
        name: "blocking-callback",
        summary: "a CPU-bound callback blocks the loop for 200 ms every 2 s: latency spikes, timers fire late",
        narrative: [
            "A 'heartbeat' timer wants to run every 50 ms and small tasks come and go. Every 2 s one callback "
                + "computes for 200 ms without yielding.",
            "View 1: the latency sparkline spikes to ~200 ms every 2 s and busy % jumps. View 6: 'blocking' and "
                + "'late-timer' warnings; Enter on one jumps to the culprit call site in view 5.",
            "Nothing else on the loop can run while a callback runs: move CPU-heavy work off the loop."
        ],
        loops: 1,
        start: { context in
            let loop = context.loop
            context.every(.milliseconds(50), on: loop) {}
            context.every(.milliseconds(250), on: loop) {
                loop.spawn(name: "request") { try await loop.sleep(for: .milliseconds(30)) }
            }
            context.every(.seconds(2), on: loop) {
                loop.execute {
                    spin(milliseconds: 200)
                    context.say("blocked the loop for 200 ms")
                }
            }
        })
}
