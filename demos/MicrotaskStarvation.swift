import AsyncTopRuntime

extension Demo {
    /// How long each phase (budget off, budget on) of the microtask-starvation demo lasts.
    static let microtaskPhase = Duration.seconds(6)

    /// Self-re-enqueuing microtasks starve timers, until the per-turn budget is switched on.
    public static let microtaskStarvation = Demo(
        name: "microtask-starvation",
        summary: "microtasks that re-enqueue themselves starve timers and I/O; the turn budget fixes it",
        narrative: [
            "A 20 ms 'heartbeat' timer runs throughout. Every 2 s a burst of 400 ms of microtasks starts, each "
                + "re-enqueuing the next, the way promise chains do.",
            "Phase 1 (budget off, like browsers and Node): microtasks drain completely before anything else, so the "
                + "heartbeat waits the whole burst — see 'late-timer' warnings and latency near 400 ms.",
            "Phase 2 (budget 16): the loop runs at most 16 items per phase of a turn, then timers and I/O get their "
                + "turn: lateness drops to a few ms. The phase flips every 6 s; watch the counter 'budget'."
        ],
        loops: 1,
        start: { context in
            let loop = context.loop
            loop.execute {
                loop.turnBudget = nil
                loop.recordCounter("budget", 0)
            }
            context.every(.milliseconds(20), on: loop) {}
            // Bursts at 0, 2, 4 … s; the budget flips between bursts, at 5, 11, 17 … s, so every burst runs
            // wholly under one setting (a turn reads the budget when it starts).
            context.every(.seconds(2), on: loop) {
                let end = ContinuousClock.now + .milliseconds(400)
                @Sendable func step() {
                    spin(milliseconds: 0.05)
                    if ContinuousClock.now < end, !context.isStopped { loop.enqueueMicrotask(step) }
                }
                loop.enqueueMicrotask(step)
            }
            loop.execute {
                _ = loop.scheduleRepeating(every: Demo.microtaskPhase, startingAfter: Demo.microtaskPhase - .seconds(1))
                { tick in
                    if context.isStopped { return tick.handle.cancel() }
                    loop.turnBudget = loop.turnBudget == nil ? 16 : nil
                    loop.recordCounter("budget", Int64(loop.turnBudget ?? 0))
                    context.say(
                        loop.turnBudget == nil
                            ? "budget off: microtasks drain completely" : "budget on: 16 items per phase")
                }
            }
        })
}
