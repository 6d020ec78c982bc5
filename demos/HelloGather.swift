import AsyncTopRuntime

extension Demo {
    /// Two tasks that each sleep a second, gathered: the whole takes one second, not two.
    public static let helloGather = Demo(
        name: "hello-gather",
        summary: "two tasks each sleep 1 s and are gathered: about 1 s in total, not 2",
        narrative: [
            "Every 3 s a task 'main' spawns 'say hello' and 'say world'; each sleeps 1 s on a timer, then says its "
                + "word. 'main' gathers both (Future.all).",
            "Look at view 2 (Tasks, press t for the tree): the two children overlap; 'main' lives about 1 s, not 2 — "
                + "while they sleep the loop is idle, free for other work.",
            "View 4 shows their timers counting down. Try: Enter on 'main' for its detail."
        ],
        loops: 1,
        start: { context in
            let loop = context.loop
            context.every(.seconds(3), on: loop) {
                let started = ContinuousClock.now
                loop.spawn(name: "main") {
                    let hello = loop.spawn(name: "say hello") {
                        try await loop.sleep(for: .seconds(1))
                        context.say("hello")
                    }
                    let world = loop.spawn(name: "say world") {
                        try await loop.sleep(for: .seconds(1))
                        context.say("world")
                    }
                    _ = try await Future.all([hello, world], on: loop).value
                    let took = ContinuousClock.now - started
                    context.say("gathered both in \(milliseconds(took)) ms")
                }
            }
        })
}
