import AsyncTopRuntime
import Synchronization

extension Demo {
    /// Self-re-enqueuing microtasks starve timers, until the per-turn budget is switched on.
    public static let microtaskStarvation = Demo(
        name: "microtask-starvation",
        summary: "microtasks that re-enqueue themselves starve timers and I/O; the turn budget fixes it",
        narrative: [
            "A 20 ms 'heartbeat' timer runs throughout. Every 2 s a burst of 400 ms of microtasks starts, each re-enqueuing the next, the way promise chains do.",
            "Phase 1 (budget off, like browsers and Node): microtasks drain completely before anything else, so the heartbeat waits the whole burst — see 'late-timer' warnings and latency near 400 ms.",
            "Phase 2 (budget 64): the loop runs at most 64 microtasks per turn, then timers and I/O get their turn: lateness drops to a few ms. The phase flips every 8 s; watch the counter 'budget'.",
        ],
        loops: 1,
        start: { context in
            let loop = context.loop
            let phaseStart = Mutex(ContinuousClock.now)
            loop.execute {
                loop.turnBudget = nil
                loop.recordCounter("budget", 0)
            }
            context.every(.milliseconds(20), on: loop) {}
            context.every(.seconds(2), on: loop) {
                let elapsed = phaseStart.withLock { ContinuousClock.now - $0 }
                if elapsed >= .seconds(8) {
                    phaseStart.withLock { $0 = ContinuousClock.now }
                    loop.turnBudget = loop.turnBudget == nil ? 64 : nil
                    loop.recordCounter("budget", Int64(loop.turnBudget ?? 0))
                    context.say(loop.turnBudget == nil ? "budget off: microtasks drain completely" : "budget on: 64 items per turn")
                }
                let end = ContinuousClock.now + .milliseconds(400)
                @Sendable func step() {
                    spin(milliseconds: 0.05)
                    if ContinuousClock.now < end, !context.isStopped { loop.enqueueMicrotask(step) }
                }
                loop.enqueueMicrotask(step)
            }
        })
}
