import AsyncTopRuntime

extension Demo {
    /// Two loops, one hot and one mostly idle.
    public static let multiLoop = Demo(
        name: "multi-loop",
        summary: "an EventLoopGroup of 2 loops with skewed work: one hot, one mostly idle",
        narrative: [
            "All the heavy work lands on {loop 0} (a 6 ms callback every 10 ms plus a stream of small tasks); {loop "
                + "1} only runs a 500 ms timer.",
            "View 1 shows both loops, one under the other: {loop 0} is ~60% busy with rising latency, {loop 1} is "
                + "near 0%. A group does not balance work by itself: next() hands out loops round-robin, but here everything "
                + "was pinned to {loop 0}.",
            "Try: compare the ticks/s of the two loops; view 5 shows the hot call site."
        ],
        loops: 2,
        start: { context in
            let hot = context.group.loops[0]
            let idle = context.group.loops[1]
            context.every(.milliseconds(10), on: hot) { spin(milliseconds: 6) }
            context.every(.milliseconds(50), on: hot) {
                hot.spawn(name: "hot request") { try await hot.sleep(for: .milliseconds(5)) }
            }
            context.every(.milliseconds(500), on: idle) {}
        })
}
