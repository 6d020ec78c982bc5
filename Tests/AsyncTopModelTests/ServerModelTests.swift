import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopTrace
import Testing

/// What the model makes of a server's producers: NIO loops' turns, the tracing bridge's spans, and batches whose
/// rings interleave in time.
@Suite struct ServerModelTests {
    static let pool1 = ProducerKind.poolThreadBase, pool2 = ProducerKind.poolThreadBase + 1
    static let nio = ProducerKind.nioLoopBase

    @Test("a batch's rings are ingested in time order: an enqueue read after the poll it caused changes nothing")
    func interleavedRingsInTimeOrder() {
        let names = ScriptedNames()
        func event(_ ms: Double, _ kind: EventKind, _ loop: UInt16, id: UInt64 = 0) -> TraceEvent {
            TraceEvent(time: UInt64(ms * 1e6), kind: kind, loop: loop, name: .none, id: id, arg: 0)
        }
        // What a reader that came late reads at once, ring by ring: the spawning thread, then the thread that ran
        // the task's polls, then the thread that enqueued them (a NIO loop handing jobs to the pool).
        let rings: [[TraceEvent]] = [
            [event(0, .taskSpawned, Self.pool1, id: 7)],
            [
                event(1, .taskPollBegan, Self.pool2, id: 7), event(2, .taskPollEnded, Self.pool2, id: 7),
                event(1_001, .taskPollBegan, Self.pool2, id: 7), event(1_002, .taskPollEnded, Self.pool2, id: 7)
            ],
            [
                event(0.5, .jobEnqueued, ProducerKind.enqueuingThreadBase, id: 7),
                event(1_000, .jobEnqueued, ProducerKind.enqueuingThreadBase, id: 7)
            ]
        ]
        var batch = EventBatch()
        for (index, ring) in rings.enumerated() {
            let start = batch.events.count
            batch.events += ring
            batch.segments.append(
                .init(
                    ring: RingIdentity(index: index, threadID: UInt64(index), loop: ring[0].loop),
                    range: start..<batch.events.count))
        }
        var aggregator = Aggregator(calibration: ScriptedTrace.calibration)
        aggregator.ingest(batch, names: names)
        aggregator.advance(to: 1_100_000_000)
        let task = aggregator.state.tasks[7]
        #expect(task?.state == .waiting && task?.polls == 2 && task?.wakes == 2)
        #expect(
            task?.scheduledWaitNanoseconds == 2_000_000, "ready 1 ms from its spawn, then 1 ms from its second enqueue")
        #expect(aggregator.state.warnings.isEmpty, "\(aggregator.state.warnings)")
    }

    @Test("a NIO loop's turn: busy split into I/O and tasks, tasks per tick, its length as latency, a long turn warns")
    func nioTurns() {
        var trace = ScriptedTrace()
        let nio = Self.nio
        func turn(_ start: Double, io: Double, tasks: Double, count: UInt64) {
            trace.at(start, .tickBegan, loop: nio, arg: 0)
            trace.at(start, .phase, loop: nio, id: LoopPhase.io.rawValue)
            trace.at(start + io, .phase, loop: nio, id: LoopPhase.callbacks.rawValue)
            trace.at(start + io + tasks, .tickEnded, loop: nio, id: count)
        }
        trace.at(0, .loopStarted, loop: nio, id: 42)
        turn(10, io: 1, tasks: 3, count: 5)
        // A request whose span is open through a long turn, and one that ended before it.
        trace.at(18, .spanBegan, loop: Self.pool1, name: "HTTP GET route not found", id: 2, arg: 0)
        trace.at(18.5, .spanNamed, loop: Self.pool1, name: "GET /block-loop", id: 2)
        trace.at(19, .spanBegan, loop: Self.pool1, name: "GET /fast", id: 3, arg: 0)
        trace.at(19.5, .spanEnded, loop: Self.pool1, name: "GET /fast", id: 3)
        turn(20, io: 0.5, tasks: 200, count: 1)
        #expect(trace.warnings(.blocking).isEmpty, "judged once the other rings have been read that far")
        trace.advance(to: 800)
        let loop = trace.state.loops[nio]
        #expect(loop?.ticks == 2 && loop?.itemsRun == 6)
        #expect(loop?.busyNanoseconds == .ms(204.5) && loop?.ioBusyNanoseconds == .ms(1.5))
        #expect(loop?.latency.count == 2 && loop?.latency.max ?? 0 >= .ms(200), "each turn's length")
        let blocking = trace.warnings(.blocking)
        #expect(blocking.count == 1)
        #expect(blocking.first?.subject == "NIO loop 1")
        #expect(blocking.first?.detail.hasSuffix("ms turn during GET /block-loop (1 task)") == true, "\(blocking)")
    }

    @Test("spans name the task that opened them, are counted by final name, and list under their task")
    func spansNameTasks() {
        var trace = ScriptedTrace()
        trace.at(0, .taskSpawned, loop: Self.pool1, id: 9)
        trace.at(1, .spanBegan, loop: Self.pool1, name: "HTTP GET route not found", id: 1, arg: 9)
        #expect(trace.state.tasks[9].map(trace.state.name(of:)) == "HTTP GET route not found")
        trace.at(1.1, .spanNamed, loop: Self.pool1, name: "GET /users/7", id: 1)
        #expect(trace.state.tasks[9].map(trace.state.name(of:)) == "GET /users/7")
        trace.at(2, .spanBegan, loop: Self.pool1, name: "load user", id: 2 | 1 << 32, arg: 9)  // a child: no rename
        trace.at(3, .spanEnded, loop: Self.pool1, name: "load user", id: 2, arg: 1)
        trace.at(4, .spanEnded, loop: Self.pool1, name: "GET /users/:id", id: 1, arg: 0)
        #expect(trace.state.tasks[9].map(trace.state.name(of:)) == "GET /users/:id")
        let spans = trace.state.spans(of: 9, limit: 10)
        #expect(spans.map { trace.state.text($0.nameID) } == ["GET /users/:id", "load user"])
        #expect(spans.map(\.failed) == [false, true] && spans[1].parent == 1)
        let summary = TraceSummary(trace.state)
        #expect(summary.spans.map(\.name) == ["GET /users/:id", "load user"])
        #expect(summary.spans.map(\.failed) == [0, 1] && trace.state.totals.spansEnded == 2)
    }
}

extension ServerModelTests {
    @Test("a poll read after its task's later events adds no time twice: busy + scheduled + idle stay within its life")
    func latePollAddsNoTimeTwice() {
        var trace = ScriptedTrace()
        let pool1 = Self.pool1
        let pool2 = Self.pool2
        trace.at(0, .taskSpawned, loop: pool1, id: 5)
        trace.at(1, .taskPollBegan, loop: pool1, id: 5)
        trace.at(2, .taskPollEnded, loop: pool1, id: 5)
        trace.at(30, .jobEnqueued, loop: pool1, id: 5)
        trace.at(31, .taskPollBegan, loop: pool1, id: 5)
        trace.at(32, .taskPollEnded, loop: pool1, id: 5)
        // Another pool thread's ring, read after: a poll between the two, and its enqueue.
        trace.at(10, .jobEnqueued, loop: pool2, id: 5)
        trace.at(11, .taskPollBegan, loop: pool2, id: 5)
        trace.at(12, .taskPollEnded, loop: pool2, id: 5)
        trace.at(50, .jobEnqueued, loop: pool1, id: 5)
        let task = trace.state.tasks[5]!
        #expect(task.polls == 3)
        let accounted = task.busyNanoseconds + task.scheduledWaitNanoseconds + task.idleNanoseconds
        #expect(accounted <= task.totalNanoseconds(now: trace.state.nowNanoseconds), "\(task)")
    }
}
