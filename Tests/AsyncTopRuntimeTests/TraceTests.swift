import AsyncTopRuntime
import AsyncTopTrace
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// These tests switch tracing off process-wide in one of them, so they run one at a time; no other suite looks
/// at trace contents.
@Suite("Tracing", .serialized, .timeLimit(.minutes(1)))
struct TraceTests {
    private static func smallRegion() throws -> Region {
        try Region(layout: RegionLayout(ringCount: 2, ringCapacity: 1 << 14, namesCapacity: 1 << 16))
    }

    private static func events(of loop: EventLoop, in source: InProcessSource) -> [TraceEvent] {
        var batch = EventBatch()
        _ = source.read(into: &batch, limit: .max)
        #expect(batch.missed == 0)
        return batch.events.filter { $0.loop == loop.id }
    }

    @Test("a spawned task's location follows its spawn on the same ring: the file and line of the spawn call")
    func spawnSites() async throws {
        let region = try Self.smallRegion()
        let source = InProcessSource(region: region)
        let loop = try EventLoop(name: "sites", region: region)
        let line = #line + 1
        let remote = loop.spawn(name: "from outside") { () async -> Int in 1 }
        let local = try await loop.spawn(name: "outer") { () async throws -> Int in
            let inner = loop.spawn(name: "from the loop") { () async -> Int in 2 }  // `line` + 2
            return try await inner.value
        }.value
        #expect(try await remote.value == 1 && local == 2)
        await loop.shutdown()
        var batch = EventBatch()
        _ = source.read(into: &batch, limit: .max)
        let events = batch.events
        for name in ["from outside", "from the loop"] {
            let index = try #require(
                events.firstIndex { $0.kind == .taskSpawned && source.names.string(for: $0.name) == name })
            let next = events[index + 1]
            #expect(next.kind == .taskLocation && next.id == events[index].id)
            let expected = "AsyncTopRuntimeTests/TraceTests.swift:\(name == "from outside" ? line : line + 2)"
            #expect(source.names.string(for: next.name) == expected)
        }
    }

    @Test("a callback or timer given a name is traced under that name, from the loop thread and from outside")
    func namedCallbacksAndTimers() async throws {
        let region = try Self.smallRegion()
        let source = InProcessSource(region: region)
        let loop = try EventLoop(name: "named", region: region)
        let ran = loop.submit { () -> Bool in
            loop.execute(name: "flush queue") {}
            loop.schedule(after: .milliseconds(1), name: "retry") {}
            loop.scheduleRepeating(every: .milliseconds(1), name: "heartbeat") { $0.handle.cancel() }
            return true
        }
        loop.execute(name: "from outside") {}
        #expect(try await ran.value)
        try await Task.sleep(for: .milliseconds(50))
        await loop.shutdown()
        let events = Self.events(of: loop, in: source)
        func named(_ kind: EventKind) -> Set<String> {
            Set(events.filter { $0.kind == kind }.compactMap { source.names.string(for: $0.name) })
        }
        #expect(named(.callbackEnqueued).isSuperset(of: ["flush queue", "from outside"]), "\(named(.callbackEnqueued))")
        #expect(named(.timerArmed) == ["retry", "heartbeat"], "\(named(.timerArmed))")
    }

    @Test("a task spawned by a task names it as parent, on its own loop and on another; each ends under its own id")
    func spawnParents() async throws {
        let region = try Self.smallRegion()
        let source = InProcessSource(region: region)
        let loop = try EventLoop(name: "parents", region: region)
        let other = try EventLoop(name: "other", region: region)
        let outer = loop.spawn(name: "outer") { () async -> Int in
            let local = loop.spawn(name: "local child") { () async -> Int in
                await Task.yield()
                return 1
            }
            let remote = other.spawn(name: "remote child") { () async -> Int in 2 }
            let values = try? await (local.value, remote.value)
            return (values?.0 ?? 0) + (values?.1 ?? 0)
        }
        #expect(try await outer.value == 3)
        await loop.shutdown()
        await other.shutdown()

        var batch = EventBatch()
        _ = source.read(into: &batch, limit: .max)
        let names = source.names
        let spawned = batch.events.filter { $0.kind == .taskSpawned }
        func spawn(_ name: String) throws -> TraceEvent {
            try #require(spawned.first { names.string(for: $0.name) == name })
        }
        let outerSpawn = try spawn("outer")
        #expect(outerSpawn.arg != 0 && outerSpawn.arg != outerSpawn.id)  // the test's own task, on another thread
        #expect(try spawn("local child").arg == outerSpawn.id)
        #expect(try spawn("remote child").arg == outerSpawn.id)
        let completed = Set(batch.events.filter { $0.kind == .taskCompleted }.map(\.id))
        #expect(completed == Set(spawned.map(\.id)))
    }

    @Test("task_woken's arg says which tasks are structured children (a group's, an async let) and which cancelled")
    func wakeBits() async throws {
        let region = try Self.smallRegion()
        let source = InProcessSource(region: region)
        let loop = try EventLoop(name: "wakes", region: region)
        let gate = AsyncStream<Void>.makeStream()
        let parent = loop.spawn(name: "parent") { () async throws -> Int in
            async let letChild = 1
            let groupChild = await withTaskGroup(of: Int.self) { group in
                group.addTask(executorPreference: loop) { 2 }
                return await group.next() ?? 0
            }
            // A child that sleeps until the parent is cancelled, then wakes cancelled.
            let cancelledChild = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask(executorPreference: loop) {
                    gate.continuation.yield()
                    try? await loop.sleep(for: .seconds(60))
                    return 3
                }
                return try await group.next() ?? 0
            }
            return await letChild + groupChild + cancelledChild
        }
        for await _ in gate.stream { break }
        parent.cancel()
        _ = try? await parent.value
        await loop.shutdown()

        let events = Self.events(of: loop, in: source)
        let parentID = try #require(events.first { $0.kind == .taskSpawned }?.id)
        let wakes = events.filter { $0.kind == .taskWoken }
        let parentWakes = wakes.filter { $0.id == parentID }.map { TaskWake(rawValue: $0.arg) }
        #expect(parentWakes.allSatisfy { !$0.contains(.structuredChild) }, "the parent is not a child")
        #expect(parentWakes.first == [] && parentWakes.last == .cancelled, "\(parentWakes)")
        let children = Set(wakes.filter { $0.id != parentID }.map(\.id))
        #expect(children.count == 3, "\(wakes.map { ($0.id, $0.arg) })")
        for child in children {
            let bits = wakes.filter { $0.id == child }.map { TaskWake(rawValue: $0.arg) }
            #expect(bits.allSatisfy { $0.contains(.structuredChild) }, "task \(child): \(bits)")
        }
        // Exactly one child was woken after its parent was cancelled, and only its last wake says so.
        let wokenCancelled = children.filter { child in wakes.contains { $0.id == child && $0.arg & 2 != 0 } }
        #expect(wokenCancelled.count == 1)
        let lastWakes = wakes.filter { wokenCancelled.contains($0.id) }.map { TaskWake(rawValue: $0.arg) }
        #expect(lastWakes.first?.contains(.cancelled) == false && lastWakes.last?.contains(.cancelled) == true)
    }

    @Test("the trace of a scripted scenario is the expected event sequence")
    func scriptedScenario() async throws {
        let region = try Self.smallRegion()
        let source = InProcessSource(region: region)
        let loop = try EventLoop(name: "scripted", region: region)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute {
                loop.execute {}
                loop.enqueueMicrotask {}
                loop.schedule(after: .zero) {}
                loop.schedule(after: .seconds(3600)) {}.cancel()
                loop.execute { throw Boom(label: "scripted") }
                let task = loop.spawn(name: "worker") { () async -> Int in
                    await Task.yield()
                    return 42
                }
                task.whenSuccess { _ in done.resume() }
                loop.schedule(after: .seconds(3600)) {}  // still armed at shutdown
            }
        }
        await loop.shutdown()

        let ignored: Set<EventKind> = [.tickBegan, .tickEnded, .phase]
        let events = Self.events(of: loop, in: source).filter { !ignored.contains($0.kind) }
        let taskID = events.first { $0.kind == .taskSpawned }?.id ?? 0
        #expect(taskID != 0)
        let expected: [(EventKind, UInt64)] = [
            (.loopStarted, events.first?.id ?? 0),
            (.callbackEnqueued, 1), (.callbackBegan, 1),
            (.callbackEnqueued, 2), (.microtaskEnqueued, 1), (.timerArmed, 1), (.timerArmed, 2),
            (.timerCancelled, 2), (.callbackEnqueued, 3), (.taskSpawned, taskID), (.taskLocation, taskID),
            (.taskWoken, taskID), (.timerArmed, 3),
            (.callbackEnded, 1),
            (.microtaskBegan, 1), (.microtaskEnded, 1),
            (.timerFired, 1), (.callbackBegan, 4), (.callbackEnded, 4),
            (.callbackBegan, 2), (.callbackEnded, 2),
            (.callbackBegan, 3), (.callbackFailed, 3), (.counter, 1),
            // `Task.yield()` hands the task to a job of the runtime's (not traced), which wakes it again.
            (.taskPollBegan, taskID), (.taskPollEnded, taskID), (.taskWoken, taskID),
            (.taskPollBegan, taskID), (.taskCompleted, taskID), (.microtaskEnqueued, 2), (.taskPollEnded, taskID),
            (.microtaskBegan, 2), (.microtaskEnded, 2),
            // Shutdown cancels the timer still armed; `loopStopped` counts the timers it cancelled.
            (.timerCancelled, 3), (.loopStopped, 1)
        ]
        #expect(events.map(\.kind) == expected.map(\.0))
        #expect(events.map(\.id) == expected.map(\.1))

        let names = source.names
        #expect(names.string(for: events[0].name) == "scripted")
        #expect(names.string(for: events[1].name)?.hasPrefix("AsyncTopRuntimeTests/TraceTests.swift:") == true)
        #expect(events[2].name == events[1].name)  // a callback's began event names its call site too
        let spawned = try #require(events.first { $0.kind == .taskSpawned })
        #expect(names.string(for: spawned.name) == "worker")
        #expect(spawned.arg == 0)
        let failed = try #require(events.first { $0.kind == .callbackFailed })
        #expect(names.string(for: NameID(rawValue: UInt32(failed.arg))) == "Boom(scripted)")
        let counter = try #require(events.first { $0.kind == .counter })
        #expect(counter.arg == 1)

        // Every turn is framed by tick events with its phases in order.
        let all = Self.events(of: loop, in: InProcessSource(region: region))
        let phases = all.filter { $0.kind == .phase }.map(\.id)
        #expect(Array(phases.prefix(4)) == LoopPhase.allCases.map(\.rawValue))
        #expect(all.filter { $0.kind == .tickBegan }.count == all.filter { $0.kind == .tickEnded }.count)
        Self.expectTickEndsCountQueuedCallbacks(all)
        for pair in zip(all, all.dropFirst()) where pair.0.time > pair.1.time {
            Issue.record("event times go backwards: \(pair.0) then \(pair.1)")
        }
    }

    /// `tickEnded`'s arg, as documented: the callbacks whose `callbackEnqueued` is written and whose
    /// `callbackBegan` is not, at the end of the turn; a timer's or I/O handler's callback (its `callbackBegan` right
    /// after `timerFired` or `ioReady`) was never queued.
    static func expectTickEndsCountQueuedCallbacks(_ events: [TraceEvent]) {
        var queued = 0
        for (previous, event) in zip([nil] + events.map(Optional.some), events) {
            if event.kind == .callbackEnqueued { queued += 1 }
            if event.kind == .callbackBegan, previous?.kind != .timerFired, previous?.kind != .ioReady { queued -= 1 }
            if event.kind == .tickEnded, event.arg != UInt64(queued) {
                let listing = events.map { "\($0.kind) \($0.id)" }
                Issue.record(
                    "tickEnded says \(event.arg) callbacks wait, the enqueues and begins say \(queued): \(listing)")
                return
            }
        }
    }

    @Test("tick ends count the queued callbacks, with others threads enqueueing meanwhile")
    func tickEndsCountQueuedCallbacks() async throws {
        let region = try Self.smallRegion()
        let loop = try EventLoop(name: "remote", region: region)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute { usleep(2_000) }  // while it runs, the rest arrive from this thread
            for _ in 0..<200 { loop.execute {} }
            loop.execute { loop.execute { loop.execute {} } }
            loop.execute { done.resume() }
        }
        await loop.shutdown()
        let events = Self.events(of: loop, in: InProcessSource(region: region))
        #expect(events.filter { $0.kind == .callbackBegan }.count == 205)
        Self.expectTickEndsCountQueuedCallbacks(events)
    }

    @Test("a failed task's result released unawaited is written as failure_unobserved with the task's id")
    func unobservedFailureNamesItsTask() async throws {
        let region = try Self.smallRegion()
        let source = InProcessSource(region: region)
        let loop = try EventLoop(name: "unobserved", region: region)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute {
                _ = loop.spawn(name: "forgotten") { () async throws -> Int in throw Boom(label: "lost") }
                loop.schedule(after: .milliseconds(50)) { done.resume() }
            }
        }
        await loop.shutdown()
        let events = Self.events(of: loop, in: source)
        let spawned = try #require(events.first { $0.kind == .taskSpawned })
        let unobserved = try #require(events.first { $0.kind == .failureUnobserved })
        #expect(unobserved.id == spawned.id, "id: the task whose result it was")
        #expect(source.names.string(for: NameID(rawValue: UInt32(unobserved.arg))) == "Boom(lost)")
    }

    @Test("a loop held in step mode writes loop_held 1 before the wait and 0 after, outside any item")
    func heldLoopIsTraced() async throws {
        let region = try Self.smallRegion()
        let source = InProcessSource(region: region)
        let loop = try EventLoop(name: "held", region: region)
        loop.stepper.pause()
        loop.execute {}
        usleep(100_000)  // held before the callback
        loop.stepper.resume()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in loop.execute { done.resume() } }
        await loop.shutdown()
        let events = Self.events(of: loop, in: source)
        let held = try #require(events.firstIndex { $0.kind == .loopHeld && $0.id == 1 })
        let released = try #require(events.firstIndex { $0.kind == .loopHeld && $0.id == 0 })
        #expect(held < released)
        let heldFor = source.info.calibration.nanoseconds(events[released].time - events[held].time)
        #expect(heldFor >= 50_000_000, "the hold lasted ~100 ms, not \(heldFor) ns")
        let began = try #require(events.firstIndex { $0.kind == .callbackBegan })
        #expect(began > released, "the callback began after the hold, so it does not last it")
    }

    /// A loop with a fixed-rate timer counting its firings, run for `run` µs and then held in step mode for `hold`
    /// µs; the caller lets it go and shuts it down.
    private static func heldFixedRateTimer(every period: Duration, runFor run: UInt32, thenHoldFor hold: UInt32)
        throws -> (EventLoop, Firings, TimerHandle)
    {
        let loop = try EventLoop(name: "held timer", region: try smallRegion())
        let firings = Firings()
        let timer = loop.scheduleRepeating(every: period) { _ in firings.count.add(1, ordering: .relaxed) }
        usleep(run)
        loop.stepper.pause()
        usleep(hold)
        return (loop, firings, timer)
    }

    @Test("a fixed-rate timer skips the firings that fell due while step mode held the loop, and keeps its rate")
    func fixedRateSkipsHeldFirings() async throws {
        let (loop, firings, timer) = try Self.heldFixedRateTimer(
            every: .milliseconds(10), runFor: 50_000, thenHoldFor: 300_000)  // ~30 periods fall due while held
        let beforeResume = firings.count.load(ordering: .relaxed)
        loop.stepper.resume()
        usleep(30_000)
        let justAfter = firings.count.load(ordering: .relaxed) - beforeResume
        // Caught up, the 30 held firings would run back to back; skipped, one runs at once and then every 10 ms.
        #expect(justAfter <= 8, "\(justAfter) firings in the 30 ms after the hold")
        usleep(200_000)
        #expect(firings.count.load(ordering: .relaxed) - beforeResume >= 10, "the timer keeps firing at its rate")
        timer.cancel()
        await loop.shutdown()
    }

    @Test("stepping does not make a fixed-rate timer due at every step: it keeps to its own deadlines")
    func steppingKeepsAFixedRateTimerToItsDeadlines() async throws {
        let (loop, firings, timer) = try Self.heldFixedRateTimer(
            every: .milliseconds(100), runFor: 150_000, thenHoldFor: 250_000)  // two deadlines fall due while held
        for _ in 0..<40 { loop.execute {} }
        let before = firings.count.load(ordering: .relaxed)
        for _ in 0..<20 {  // 20 steps over ~100 ms: one firing at most is due in that time
            loop.stepper.step()
            usleep(5_000)
        }
        let stepped = firings.count.load(ordering: .relaxed) - before
        #expect(stepped <= 2, "the timer fired \(stepped) times in 20 steps over 100 ms")
        loop.stepper.resume()
        timer.cancel()
        await loop.shutdown()
    }

    @Test("step mode entered again starts a new run of steps: no step shown from the last run, numbered from 1")
    func stepModeEnteredAgainStartsOver() async throws {
        let region = try Self.smallRegion()
        let loop = try EventLoop(name: "stepping", region: region)
        loop.stepper.pause()
        for _ in 0..<3 { loop.execute {} }
        for _ in 0..<3 {
            loop.stepper.step()
            usleep(20_000)
        }
        #expect(loop.stepper.lastStep?.number == 3)
        loop.stepper.resume()
        usleep(20_000)
        loop.stepper.pause()
        #expect(loop.stepper.lastStep == nil, "the panel says no item stepped yet")
        loop.execute {}
        loop.stepper.step()
        usleep(20_000)
        #expect(loop.stepper.lastStep?.number == 1)
        loop.stepper.resume()
        await loop.shutdown()
    }

    @Test("with tracing switched off the loop writes nothing and behaves the same")
    func tracingOff() async throws {
        let region = try Self.smallRegion()
        let source = InProcessSource(region: region)
        Tracer.isEnabled = false
        defer { Tracer.isEnabled = true }
        let loop = try EventLoop(name: "untraced", region: region)
        let order = LoopConfined<[Int]>([])
        let ordered = loop.makePromise(of: [Int].self)
        let fired = loop.makePromise(of: Void.self)
        try await loop.run {
            loop.execute { order.value.append(1) }
            loop.enqueueMicrotask { order.value.append(0) }
            loop.execute { ordered.succeed(order.value) }
            loop.schedule(after: .milliseconds(1)) { fired.succeed(()) }
        }
        let spawned = loop.spawn(name: "untraced task") { () async -> Int in
            await Task.yield()
            return 7
        }
        #expect(try await ordered.future.value == [0, 1])
        try await fired.future.value
        #expect(try await spawned.value == 7)
        await loop.shutdown()
        #expect(Self.events(of: loop, in: source).isEmpty)
    }
}

/// A timer's firings, counted from the loop thread and read from the test's (a class: `Atomic` cannot be returned).
private final class Firings: Sendable {
    let count = Atomic<Int>(0)
}
