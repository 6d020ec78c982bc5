import AsyncTopDemos
import AsyncTopModel
import AsyncTopTrace
import Foundation
import Testing

/// Every demo runs headless for a few seconds, read the way the monitor reads it; what it teaches is asserted
/// on the aggregated state (and, where a figure changes over the run, on the events themselves). The demos on
/// Swift's global executor are tested through the `asynctop` binary instead (ConcurrencyTapTests): the test
/// process's own tasks share that executor with them.
@Suite(.serialized) struct DemoTests {
    struct Run {
        var state: RuntimeState
        var events: [TraceEvent]
        var names: any NameResolver
        var calibration: ClockCalibration

        func name(_ id: NameID) -> String { names.string(for: id) ?? "" }
        func ms(_ ticks: UInt64) -> Double { Double(calibration.nanoseconds(ticks)) / 1e6 }
        func tasks(named name: String) -> [TaskState] { state.tasks.values.filter { state.name(of: $0) == name } }
    }

    func run(_ demo: Demo, seconds: Double) throws -> Run {
        let running = try RunningDemo(demo)
        let source = InProcessSource(region: running.region)
        var aggregator = Aggregator(calibration: source.info.calibration, retentionNanoseconds: 60_000_000_000)
        var batch = EventBatch()
        var events: [TraceEvent] = []
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            batch.removeAll()
            _ = source.read(into: &batch, limit: .max)
            aggregator.ingest(batch, names: source.names)
            events += batch.events
            usleep(20_000)
        }
        running.stop()
        batch.removeAll()
        _ = source.read(into: &batch, limit: .max)
        aggregator.ingest(batch, names: source.names)
        events += batch.events
        #expect(aggregator.state.totals.missed == 0)
        return Run(state: aggregator.state, events: events, names: source.names, calibration: source.info.calibration)
    }

    @Test func everyDemoIsListedAndNamed() {
        #expect(
            DemoCatalog.all.map(\.name) == [
                "hello-gather", "blocking-callback", "microtask-starvation", "timer-drift", "fan-out", "backpressure",
                "echo-server", "errors-and-cancellation", "multi-loop", "pool-starvation", "actor-contention"
            ])
        #expect(DemoCatalog.all.allSatisfy { !$0.summary.isEmpty && $0.narrative.count >= 2 })
    }

    @Test func helloGatherTakesOneSecondNotTwo() throws {
        let run = try run(.helloGather, seconds: 2.5)
        let main = try #require(run.tasks(named: "main").first { $0.state == .done })
        #expect(main.totalNanoseconds(now: 0) < 1_500_000_000)
        #expect(main.totalNanoseconds(now: 0) >= 1_000_000_000)
        let hello = try #require(run.tasks(named: "say hello").first)
        let world = try #require(run.tasks(named: "say world").first)
        #expect(hello.parent == main.id && world.parent == main.id)
        // Their lifetimes overlap: each started before the other ended.
        #expect(
            hello.spawnedNanoseconds < world.endedNanoseconds! && world.spawnedNanoseconds < hello.endedNanoseconds!)
    }

    @Test func blockingCallbackBlocksAndIsWarned() throws {
        let run = try run(.blockingCallback, seconds: 4.5)
        let worst = run.state.callSites.map(\.maxNanoseconds).max() ?? 0
        #expect(worst >= 200_000_000)
        #expect(run.state.warnings.contains { $0.kind == .blocking })
        #expect(run.state.warnings.contains { $0.kind == .lateTimer })
        #expect((run.state.loops.values.first?.latency.max ?? 0) >= 150_000_000)
    }

    @Test func microtaskStarvationEndsWithTheBudget() throws {
        let run = try run(.microtaskStarvation, seconds: 9)
        // Timer lateness while the counter 'budget' said off (0), and while it said on.
        var budget: UInt64 = 0
        var worst: [UInt64: Double] = [:]
        for event in run.events {
            if event.kind == .counter, run.name(event.name) == "budget" { budget = event.arg }
            if event.kind == .timerFired { worst[budget] = max(worst[budget] ?? 0, run.ms(event.arg)) }
        }
        let off = try #require(worst[0])
        let on = try #require(worst[16])
        #expect(off > 100, "without the budget the heartbeat waits out a burst (\(off) ms)")
        #expect(on < 30, "with the budget lateness stays low (\(on) ms)")
    }

    @Test func timerDriftFixedDelayDriftsFixedRateKeepsRate() throws {
        let run = try run(.timerDrift, seconds: 4)
        // The demo names its two timers (`scheduleRepeating(name:)`): the trace carries the names, not file:line.
        let delay = try #require(run.state.timerSites["fixed-delay"], "\(run.state.timerSites.keys)")
        let rate = try #require(run.state.timerSites["fixed-rate"], "\(run.state.timerSites.keys)")
        #expect(rate.fired > delay.fired)
        #expect(abs(Double(rate.meanPeriodNanoseconds) / 1e6 - 100) < 10)
        #expect(Double(delay.meanPeriodNanoseconds) / 1e6 > 110)
    }

    @Test func fanOutNeverExceedsFifty() throws {
        let run = try run(.fanOut, seconds: 4)
        #expect(run.state.counterPeaks["in_flight"] == 50)
        #expect(run.state.totals.maxLiveTasks <= 51)  // the coordinator and its 50 jobs
        #expect(run.state.totals.tasksCompleted > 500)
    }

    @Test func backpressureBoundedHoldsUnboundedGrows() throws {
        let run = try run(.backpressure, seconds: 7)
        #expect((run.state.counterPeaks["bounded.depth"] ?? .max) <= 50)
        #expect((run.state.counterPeaks["unbounded.depth"] ?? 0) > 500)
        #expect(run.state.warnings.contains { $0.kind == .queueGrowth && $0.subject == "unbounded.depth" })
        #expect(!run.state.warnings.contains { $0.kind == .queueGrowth && $0.subject == "bounded.depth" })
    }

    @Test func echoServerEchoesEveryByteToEveryClient() throws {
        let run = try run(.echoServer, seconds: 5)
        #expect(run.state.counterPeaks["clients.verified"] == 100)
        #expect((run.state.counterPeaks["echo.bytes"] ?? 0) >= 100 * 20 * 512)
        #expect(run.state.loops.count == 2)
        #expect(run.events.contains { $0.kind == .ioReady })
    }

    @Test func errorsAndCancellationAreRecorded() throws {
        let run = try run(.errorsAndCancellation, seconds: 5)
        #expect(run.state.totals.tasksFailed >= 2)
        #expect(run.state.totals.tasksCancelled >= 3)
        #expect(
            run.state.warnings.contains { $0.kind == .unhandledFailure && $0.detail.contains("connection refused") })
        #expect(!run.state.warnings.contains { $0.detail.contains("(handled)") })
        // Cancelling a request cancels its subtasks too, as the caption says: the whole tree ends cancelled.
        let tree = run.state.tasks.values.filter { task in
            let name = run.state.name(of: task)
            return name == "request" || name.hasPrefix("subtask")
        }
        #expect(tree.count >= 4)
        #expect(tree.allSatisfy { $0.state == .cancelled }, "\(tree.map { (run.state.name(of: $0), $0.state) })")
        // And the tree is a tree (16.8): each subtask's parent is a task of the list, the group's child the loop
        // never saw spawned, whose own parent is the request.
        let subtasks = tree.filter { run.state.name(of: $0).hasPrefix("subtask") }
        #expect(!subtasks.isEmpty)
        for subtask in subtasks {
            let child = try #require(run.state.tasks[subtask.parent], "subtask \(subtask.id)'s parent is listed")
            let request = try #require(run.state.tasks[child.parent], "the group child \(child.id)'s parent is listed")
            #expect(run.state.name(of: request) == "request")
            // The group's children end with the request, cancelled: the loop saw them woken cancelled.
            #expect(child.structuredChild && child.state == .cancelled, "group child \(child.id): \(child.state)")
        }
        // The totals add up with the list (the header said 27 spawned while the tasks view listed 36).
        let t = run.state.totals
        let ended = t.tasksCompleted + t.tasksFailed + t.tasksCancelled + t.tasksEnded
        #expect(ended <= t.tasksSpawned && t.tasksSpawned <= ended + t.liveTasks, "\(t)")
        #expect(UInt64(run.state.tasks.count) <= t.tasksSpawned, "\(run.state.tasks.count) listed, \(t)")
    }

    @Test func multiLoopBusyRatiosDiffer() throws {
        let run = try run(.multiLoop, seconds: 4)
        let ratios = run.state.loops.values.sorted { $0.id < $1.id }.map {
            run.state.busyRatio(of: $0, until: run.state.nowNanoseconds)
        }
        #expect(ratios.count == 2)
        #expect(ratios[0] - ratios[1] >= 0.3, "\(ratios)")
    }

    /// The caption names the loops as the screen does: the hot one is the one the screen shows busy.
    @Test func theCaptionNamesTheLoopsTheScreenShows() throws {
        let running = try RunningDemo(.multiLoop)
        defer { running.stop() }
        let lines = Demo.multiLoop.narrative(naming: running.context.group)
        let hot = ProducerKind.name(loop: running.context.group.loops[0].id)
        let idle = ProducerKind.name(loop: running.context.group.loops[1].id)
        #expect(
            lines[0].hasPrefix("All the heavy work lands on \(hot) (") && lines[0].contains("; \(idle) only runs"),
            "\(lines[0])")
        #expect(!lines.joined().contains("{"))
        // Every demo refers to its loops through the placeholders: no bare group index is left to mislead.
        for demo in DemoCatalog.all {
            var text = demo.narrative.joined(separator: " ")
            for index in 0..<demo.loops {
                text = text.replacing("{loop \(index)}", with: "").replacing("{Loop \(index)}", with: "")
            }
            #expect(
                !text.contains("loop 0") && !text.contains("Loop 0") && !text.contains("loop 1 ")
                    && !text.contains("Loop 1 "), "\(demo.name)")
        }
    }
}
