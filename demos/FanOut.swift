import AsyncTopRuntime

extension Demo {
    /// 10 000 tasks, at most 50 at a time.
    public static let fanOut = Demo(
        name: "fan-out",
        summary: "10 000 tasks with at most 50 in flight: the tasks view, queue depth, throughput",
        narrative: [
            "A 'coordinator' spawns 10 000 'job' tasks but never more than 50 at once: when 50 are running it waits "
                + "for one to finish. Each job sleeps 2-20 ms, like an I/O call.",
            "View 2: filter with /state:waiting or sort by STATE (> until STATE): the live count stays at 50. View "
                + "1: the counter 'in_flight' never passes 50.",
            "Try: t for the tree — every job is the coordinator's child."
        ],
        loops: 1,
        start: { context in
            let loop = context.loop
            loop.execute { fanOutRound(context, loop: loop, limit: 50, total: 10_000) }
        })
}

/// Slots of the fan-out: touched only on its loop's thread, by the coordinator and the jobs' callbacks.
private final class FanOutSlots: @unchecked Sendable {
    var inFlight = 0
    var finished = 0
    var waiter: Promise<Void>?
}

private func fanOutRound(_ context: DemoContext, loop: EventLoop, limit: Int, total: Int) {
    let slots = FanOutSlots()
    loop.spawn(name: "coordinator") {
        var started = 0
        while started < total, !context.isStopped {
            if slots.inFlight >= limit {
                let promise = loop.makePromise(of: Void.self)
                slots.waiter = promise
                try await promise.future.value
                continue
            }
            let pause = Duration.milliseconds(2 + (started * 7919) % 19)
            slots.inFlight += 1
            loop.recordCounter("in_flight", Int64(slots.inFlight))
            loop.spawn(name: "job \(started)") { try await loop.sleep(for: pause) }.whenComplete { _ in
                slots.inFlight -= 1
                slots.finished += 1
                loop.recordCounter("in_flight", Int64(slots.inFlight))
                let waiter = slots.waiter
                slots.waiter = nil
                waiter?.succeed(())
            }
            started += 1
        }
        while slots.inFlight > 0, !context.isStopped {
            let promise = loop.makePromise(of: Void.self)
            slots.waiter = promise
            try await promise.future.value
        }
        context.say("finished \(slots.finished) jobs, never more than \(limit) at once")
    }.whenComplete { _ in
        if !context.isStopped {
            loop.schedule(after: .seconds(2)) { fanOutRound(context, loop: loop, limit: limit, total: total) }
        }
    }
}
