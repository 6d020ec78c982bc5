import AsyncTopRuntime

extension Demo {
    /// A fast producer and a slow consumer, with and without a bound on the queue between them.
    public static let backpressure = Demo(
        name: "backpressure",
        summary: "a fast producer and a slow consumer: unbounded queue climbs, bounded queue holds",
        narrative: [
            "A producer makes an item every 2 ms; a consumer takes one every 5 ms. Two pipelines run side by side.",
            "'unbounded.depth' (view 1, counters) climbs without end — after 5 s a 'queue-growth' warning fires "
                + "(view 6). Memory would follow.",
            "'bounded.depth' stops at 50: there the producer awaits space (backpressure), so it slows to the "
                + "consumer's pace. Every 20 s both queues are emptied and the story starts again."
        ],
        loops: 1,
        start: { context in
            let loop = context.loop
            let unbounded = BoundedQueue(name: "unbounded.depth", capacity: nil)
            let bounded = BoundedQueue(name: "bounded.depth", capacity: 50)
            for queue in [unbounded, bounded] {
                loop.spawn(name: "producer (\(queue.name))") {
                    var item = 0
                    while !context.isStopped {
                        try await loop.sleep(for: .milliseconds(2))
                        try await queue.put(item, on: loop)
                        item += 1
                    }
                }
                loop.spawn(name: "consumer (\(queue.name))") {
                    while !context.isStopped {
                        try await loop.sleep(for: .milliseconds(5))
                        queue.take(on: loop)
                    }
                }
            }
            context.every(.seconds(20), on: loop) {
                unbounded.clear(on: loop)
                bounded.clear(on: loop)
                context.say("queues emptied; watch them again")
            }
        })
}

/// A queue of items between a producer and a consumer on one loop; with a capacity, `put` waits for space.
/// Touched only on its loop's thread.
final class BoundedQueue: @unchecked Sendable {
    let name: String
    let capacity: Int?
    private var count = 0
    private var spaceWaiter: Promise<Void>?

    init(name: String, capacity: Int?) {
        self.name = name
        self.capacity = capacity
    }

    func put(_ item: Int, on loop: EventLoop) async throws {
        while let capacity, count >= capacity {
            let promise = loop.makePromise(of: Void.self)
            spaceWaiter = promise
            try await promise.future.value
        }
        count += 1
        loop.recordCounter(name, Int64(count))
    }

    func take(on loop: EventLoop) {
        guard count > 0 else { return }
        count -= 1
        loop.recordCounter(name, Int64(count))
        let waiter = spaceWaiter
        spaceWaiter = nil
        waiter?.succeed(())
    }

    func clear(on loop: EventLoop) {
        count = 0
        loop.recordCounter(name, 0)
        let waiter = spaceWaiter
        spaceWaiter = nil
        waiter?.succeed(())
    }
}
