import AsyncTopRuntime

extension Demo {
    /// Fixed-delay and fixed-rate repeating timers on a loaded loop.
    public static let timerDrift = Demo(
        name: "timer-drift",
        summary: "a repeating 100 ms timer on a loaded loop: fixed-delay drifts, fixed-rate catches up",
        narrative: [
            "Two timers repeat every 100 ms: 'fixed-delay' waits 100 ms after each run; 'fixed-rate' aims at start + "
                + "n x 100 ms. Every 150 ms a 60 ms callback loads the loop.",
            "View 4: both fire late, but fixed-delay's lateness accumulates into its period (its FIRED count falls "
                + "behind) while fixed-rate runs late ones back to back and keeps the count.",
            "`asynctop stats` shows each site's mean period: ~100 ms for fixed-rate, more for fixed-delay."
        ],
        loops: 1,
        start: { context in
            let loop = context.loop
            loop.execute {
                let delay = loop.scheduleRepeating(every: .milliseconds(100), mode: .fixedDelay, name: "fixed-delay") {
                    tick in
                    if context.isStopped { tick.handle.cancel() }
                }
                let rate = loop.scheduleRepeating(every: .milliseconds(100), mode: .fixedRate, name: "fixed-rate") {
                    tick in
                    if context.isStopped { tick.handle.cancel() }
                }
                _ = (delay, rate)
            }
            context.every(.milliseconds(150), on: loop) { spin(milliseconds: 60) }
        })
}
