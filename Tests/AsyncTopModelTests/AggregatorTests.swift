import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopTrace
import Testing

@Suite struct AggregatorTests {
    @Test func taskLifecycleAccountsBusyWaitAndIdle() {
        var trace = ScriptedTrace()
        trace.at(0, .taskSpawned, name: "fetch", id: 1, arg: 0)
        trace.at(0, .taskLocation, name: "main.swift:12", id: 1)
        trace.at(2, .taskPollBegan, id: 1)  // 2 ms ready
        trace.at(5, .taskPollEnded, id: 1)  // 3 ms busy
        trace.at(15, .taskWoken, id: 1)  // 10 ms idle
        trace.at(16, .taskPollBegan, id: 1)  // 1 ms ready
        trace.at(17, .taskCompleted, id: 1)  // 1 ms busy
        let task = try! #require(trace.state.tasks[1])
        #expect(task.state == .done)
        #expect(task.polls == 2 && task.wakes == 1)
        #expect(task.busyNanoseconds == .ms(4))
        #expect(task.scheduledWaitNanoseconds == .ms(3))
        #expect(task.idleNanoseconds == .ms(10))
        #expect(task.totalNanoseconds(now: .ms(100)) == .ms(17))
        #expect(trace.state.site(of: task) == "main.swift:12")
        let detail = try! #require(trace.state.taskDetails[1])
        #expect(
            detail.recentEvents.latest(24).map(\.state) == [
                .ready, .ready, .running, .waiting, .ready, .running, .done
            ])
        #expect(detail.pollTimes.count == 2 && detail.scheduledWaits.count == 2)  // the last poll ends with the task
        #expect(trace.state.totals.tasksSpawned == 1 && trace.state.totals.tasksCompleted == 1)
    }

    @Test func aTaskKeepsItsLatestEventsWhateverOtherTasksDo() {
        var trace = ScriptedTrace()
        trace.at(0, .taskSpawned, id: 1)
        trace.at(0, .taskSpawned, id: 2)
        for poll in 0..<20 {
            let start = Double(poll) * 10 + 1
            trace.at(start, .taskPollBegan, id: 1)
            trace.at(start + 1, .taskPollEnded, id: 1)
            trace.at(start + 2, .taskWoken, id: 1)
            for other in 0..<50 { trace.at(start + 3 + Double(other) * 0.01, .taskWoken, id: 2) }
        }
        trace.at(300, .taskCompleted, id: 1)
        let events = try! #require(trace.state.taskDetails[1]).recentEvents.latest(24)
        #expect(events.count == RecentTaskEvents.capacity)
        #expect(events.last?.kind == .taskCompleted && events.last?.atNanoseconds == .ms(300))
        #expect(events.map(\.atNanoseconds) == events.map(\.atNanoseconds).sorted())
        #expect(events.dropLast().last?.kind == .taskWoken)
        #expect(
            try! #require(trace.state.taskDetails[1]).recentEvents.latest(2).map(\.kind) == [.taskWoken, .taskCompleted]
        )
    }

    /// A structured child the loop never spawned (a group's child) ends with its parent: cancelled if it was seen
    /// cancelled, `ended` if not; and a grandchild with it. An unstructured task it woke stays.
    @Test func structuredChildrenEndWithTheirParent() {
        var trace = ScriptedTrace()
        let child = TaskWake.structuredChild.rawValue
        trace.at(0, .taskSpawned, name: "request", id: 1)
        trace.at(1, .taskPollBegan, id: 1)
        trace.at(1.1, .taskWoken, id: 10, arg: child)  // addTask in the request's poll
        trace.at(1.2, .taskWoken, id: 11, arg: child)
        trace.at(1.3, .taskWoken, id: 12)  // a `Task` preferring the loop: not structured
        trace.at(2, .taskPollEnded, id: 1)
        trace.at(3, .taskPollBegan, id: 10)
        trace.at(3.1, .taskWoken, id: 20, arg: child)  // the child's own group
        trace.at(4, .taskPollEnded, id: 10)
        trace.at(5, .taskWoken, id: 11, arg: child | TaskWake.cancelled.rawValue)
        trace.at(6, .taskPollBegan, id: 11)
        trace.at(7, .taskPollEnded, id: 11)
        #expect(trace.state.tasks[10]?.structuredChild == true && trace.state.tasks[10]?.parent == 1)
        #expect(trace.state.tasks[10]?.state == .waiting && trace.state.totals.liveTasks == 5)
        trace.at(9, .taskCancelled, id: 1)
        #expect(trace.state.tasks[10]?.state == .ended && trace.state.tasks[10]?.endedNanoseconds == .ms(9))
        #expect(trace.state.tasks[10]?.idleNanoseconds == .ms(5))
        #expect(trace.state.tasks[11]?.state == .cancelled)
        #expect(trace.state.tasks[20]?.state == .ended && trace.state.tasks[20]?.parent == 10)
        #expect(trace.state.tasks[12]?.state == .ready)
        // The totals add up with the list: a structured child counts as spawned when first seen, and its end counts.
        let totals = trace.state.totals
        #expect(totals.tasksSpawned == 4 && totals.tasksCancelled == 2 && totals.tasksEnded == 2, "\(totals)")
        #expect(totals.liveTasks == 1, "task 12, not structured, is still waiting")
        #expect(trace.state.name(of: try! #require(trace.state.tasks[10])) == "child of request")
    }

    /// A task's end counts once: a structured child ended with its parent whose own end is read later takes that
    /// end instead, and a second end of a task already over changes nothing.
    @Test func aTaskEndCountsOnce() {
        var trace = ScriptedTrace()
        trace.at(0, .taskSpawned, name: "request", id: 1)
        trace.at(1, .taskPollBegan, id: 1)
        trace.at(1.1, .taskWoken, id: 10, arg: TaskWake.structuredChild.rawValue)
        trace.at(2, .taskPollEnded, id: 1)
        trace.at(3, .taskCompleted, id: 1)
        #expect(trace.state.tasks[10]?.state == .ended && trace.state.totals.tasksEnded == 1)
        trace.at(2.5, .taskCompleted, id: 10)  // its own end, read late
        trace.at(3.5, .taskCompleted, id: 1)  // a second end
        let totals = trace.state.totals
        #expect(trace.state.tasks[10]?.state == .done && trace.state.tasks[10]?.endedNanoseconds == .ms(2.5))
        #expect(totals.tasksSpawned == 2 && totals.tasksCompleted == 2 && totals.tasksEnded == 0, "\(totals)")
        #expect(totals.liveTasks == 0 && trace.state.tasks[1]?.endedNanoseconds == .ms(3))
    }

    @Test func wakeDuringPollLeavesTaskReady() {
        var trace = ScriptedTrace()
        trace.at(0, .taskSpawned, id: 1)
        trace.at(1, .taskPollBegan, id: 1)
        trace.at(1.5, .taskWoken, id: 1)  // Task.yield(): re-enqueued while running
        trace.at(2, .taskPollEnded, id: 1)
        #expect(trace.state.tasks[1]?.state == .ready)
    }

    @Test func finishedTasksAreDroppedAfterRetentionAndLiveOnesKept() {
        var trace = ScriptedTrace(retentionMilliseconds: 1000)
        for id in 0..<1000 as Range<UInt64> {
            trace.at(Double(id) * 0.001, .taskSpawned, id: id)
            if id % 2 == 0 { trace.at(1, .taskCompleted, id: id) }
        }
        trace.advance(to: 500)
        #expect(trace.state.tasks.count == 1000)
        trace.advance(to: 1001)
        #expect(trace.state.tasks.count == 500)
        #expect(trace.state.tasks.values.allSatisfy { !$0.state.isFinished })
        #expect(trace.state.totals.tasksSpawned == 1000)
    }

    @Test func histogramBudgetBoundsPerTaskMemory() {
        var trace = ScriptedTrace()
        trace.aggregator.taskHistogramBudget = 10
        for id in 0..<50 as Range<UInt64> {
            trace.at(0, .taskSpawned, id: id)
            trace.at(1, .taskPollBegan, id: id)
        }
        #expect(trace.state.taskDetails.count == 10)
    }

    @Test func loopBusyTicksLatencyAndQueues() {
        var trace = ScriptedTrace()
        trace.at(0, .loopStarted, loop: 2, id: 77)
        // Ten turns of 50 ms busy, 50 ms asleep: half busy.
        for turn in 0..<10 {
            let start = Double(turn) * 100
            trace.at(start, .tickBegan, loop: 2)
            trace.at(start + 1, .callbackBegan, loop: 2, name: "work", id: UInt64(turn), arg: .ms(Double(turn)))
            trace.at(start + 50, .callbackEnded, loop: 2, id: UInt64(turn))
            trace.at(start + 50, .tickEnded, loop: 2, id: 1, arg: 4)
        }
        trace.at(950, .timerArmed, loop: 2, id: 9, arg: .ms(2000))
        trace.at(960, .ioRegistered, loop: 2, id: 5)
        trace.advance(to: 1000)
        let loop = try! #require(trace.state.loops[2])
        #expect(loop.threadID == 77)
        #expect(loop.ticks == 10)
        #expect(loop.busyNanoseconds == .ms(500))
        #expect(abs(trace.state.busyRatio(of: loop, until: .ms(1000)) - 0.5) < 0.001)
        #expect(loop.latency.count == 10)
        #expect(loop.latency.max >= .ms(9) && loop.latency.max < .ms(9.6))  // coarse: within 1/16
        #expect(loop.callbackQueueDepth == 4 && loop.pendingTimers == 1 && loop.ioWatchers == 1)
        #expect(trace.state.callSite(named: "work")?.count == 10)
        #expect(trace.state.slowCallbacks.count == 10)
        #expect(trace.state.timers[TimerKey(loop: 2, id: 9)]?.deadlineNanoseconds == .ms(2000))
    }

    @Test func repeatingTimerKeepsIntervalAndFiringCount() {
        var trace = ScriptedTrace()
        for firing in 0..<3 {
            let deadline = Double(firing + 1) * 100
            trace.at(deadline - 100, .timerArmed, name: "every 100ms", id: 4, arg: .ms(deadline))
            trace.at(deadline + 2, .timerFired, id: 4, arg: .ms(2))
        }
        trace.at(300, .timerArmed, id: 4, arg: .ms(400))
        let timer = try! #require(trace.state.timers[TimerKey(loop: 0, id: 4)])
        #expect(timer.timesFired == 3)
        #expect(timer.intervalNanoseconds == .ms(100))
        #expect(timer.lastLatenessNanoseconds == .ms(2))
        #expect(timer.isPending)
    }

    @Test func hostileNamesAreMadeSafeBeforeTheyReachTheState() {
        var trace = ScriptedTrace()
        let hostile = trace.names.id(bytes: Array("\u{1B}[2J\u{1B}]0;owned\u{07}".utf8) + [0xFF])
        trace.aggregator.ingest(
            TraceEvent(time: 0, kind: .taskSpawned, loop: 0, name: hostile, id: 1), names: trace.names)
        let name = trace.state.tasks[1].map(trace.state.name(of:)) ?? ""
        #expect(!name.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
    }

    @Test func sameEventsGiveSameState() {
        func run() -> RuntimeState {
            var trace = ScriptedTrace()
            for i in 0..<200 as Range<UInt64> {
                trace.at(Double(i), .taskSpawned, name: "t\(i % 3)", id: i)
                trace.at(Double(i) + 0.5, .taskPollBegan, id: i)
                trace.at(Double(i) + 0.7, i % 5 == 0 ? .taskFailed : .taskCompleted, id: i)
            }
            trace.advance(to: 5000)
            return trace.state
        }
        let a = run()
        let b = run()
        #expect(a.totals == b.totals)
        #expect(a.tasks.values.map(\.id).sorted() == b.tasks.values.map(\.id).sorted())
        #expect(a.warnings == b.warnings)
    }
}
