import AsyncTopRuntime

/// An error a demo task throws on purpose.
struct DemoFailure: Error, CustomStringConvertible {
    var description: String
}

extension Demo {
    /// Failing tasks, timeouts, and cancelling a tree of tasks.
    public static let errorsAndCancellation = Demo(
        name: "errors-and-cancellation",
        summary: "failing tasks, timeouts, cancelling a tree of tasks; unhandled failures counted and warned",
        narrative: [
            "Every 2 s: 'checked' fails and its caller catches the error; 'forgotten' fails and nobody ever looks at "
                + "its result; 'slow call' takes 500 ms but its caller gives up after 100 ms (a timeout).",
            "Every 4 s a 'request' task starts a task group of three children (listed as 'child of request'), each "
                + "waiting on a 'subtask', and is cancelled after 300 ms: the whole tree ends cancelled (t shows it).",
            "View 2 (/state:failed, /state:cancelled) shows them; view 6 warns about each 'forgotten' failure "
                + "(unhandled-failure) but not the handled ones."
        ],
        loops: 1,
        start: { context in
            let loop = context.loop
            context.every(.seconds(2), on: loop) {
                let checked = loop.spawn(name: "checked") {
                    try await loop.sleep(for: .milliseconds(20))
                    throw DemoFailure(description: "disk full (handled)")
                }
                checked.whenFailure { error in context.say("caught: \(error)") }
                _ = loop.spawn(name: "forgotten") {
                    try await loop.sleep(for: .milliseconds(30))
                    throw DemoFailure(description: "connection refused")
                }
                loop.spawn(name: "slow call") { try await loop.sleep(for: .milliseconds(500)) }
                    .timeout(after: .milliseconds(100))
                    .whenFailure { error in context.say("timed out: \(error)") }
            }
            context.every(.seconds(4), on: loop) {
                let request = loop.spawn(name: "request") {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in 0..<3 {
                            group.addTask(executorPreference: loop) {
                                let subtask = loop.spawn(name: "subtask \(index)") {
                                    try await loop.sleep(for: .seconds(2))
                                }
                                // Awaiting a future does not cancel it; cancelling the request reaches the
                                // subtask here.
                                try await withTaskCancellationHandler {
                                    _ = try await subtask.value
                                } onCancel: {
                                    subtask.cancel()
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                loop.schedule(after: .milliseconds(300)) {
                    request.cancel()
                    context.say("cancelled a request and its 3 subtasks")
                }
            }
        })
}
