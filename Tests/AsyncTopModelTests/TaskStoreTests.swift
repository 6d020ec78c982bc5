import AsyncTopTestSupport
import AsyncTopTrace
import Testing

@testable import AsyncTopModel

/// `TaskStore`: live and ended tasks found by id, ended ones leaving oldest first past their retention (unless a
/// warning names them), ids ended again counted once, and copies (replay checkpoints) independent of each other.
@Suite struct TaskStoreTests {
    func task(_ id: UInt64, endedAt ended: UInt64? = nil) -> TaskState {
        var task = TaskState(id: id, name: .none, parent: 0, loop: 1, at: 0)
        if let ended {
            task.state = .done
            task.endedNanoseconds = ended
        }
        return task
    }

    func ids(_ store: TaskStore) -> [UInt64] { store.values.map(\.id).sorted() }

    @Test func liveAndEndedTasksAreFoundByID() {
        var store = TaskStore()
        for id in 1...3000 as ClosedRange<UInt64> { store[id] = task(id) }
        for id in 1...2500 as ClosedRange<UInt64> { store[id] = task(id, endedAt: id) }
        #expect(store.count == 3000 && store.live.count == 500)
        #expect(store[1]?.state == .done && store[2999]?.state == .ready && store[4000] == nil)
        #expect(ids(store) == Array(1...3000))
        // A late change to an ended task is kept in place.
        var late = store[7]!
        late.polls = 5
        store[7] = late
        #expect(store[7]?.polls == 5 && store.count == 3000)
    }

    @Test func endedTasksLeaveOldestFirstUnlessAWarningNamesThem() {
        var store = TaskStore()
        for id in 1...3000 as ClosedRange<UInt64> { store[id] = task(id, endedAt: id * 10) }
        var removed: [UInt64] = []
        store.removeEnded(now: 20_000, retention: 10_000, keeping: [5]) { removed.append($0) }
        #expect(removed == Array(1...1000).filter { $0 != 5 })
        #expect(store[5] != nil && store[6] == nil && store[1001] != nil && store.count == 2001)
        store.removeEnded(now: 20_000, retention: 10_000, keeping: []) { removed.append($0) }
        #expect(removed.last == 5 && store[5] == nil && store.count == 2000)
        #expect(ids(store) == Array(1001...3000))
    }

    @Test func anIDEndedAgainIsOneTaskAndItsOldSlotIsPassedOver() {
        var store = TaskStore()
        store[1] = task(1, endedAt: 10)
        store[2] = task(2, endedAt: 20)
        store[1] = task(1)  // spawned anew under the same id
        #expect(store[1]?.state == .ready)
        store[1] = task(1, endedAt: 30)
        #expect(store[1]?.endedNanoseconds == 30 && ids(store) == [1, 2] && store.count == 2)
        var removed: [UInt64] = []
        store.removeEnded(now: 25, retention: 1, keeping: []) { removed.append($0) }
        #expect(removed == [2] && store[1]?.endedNanoseconds == 30)
    }

    @Test func aCopyIsUnchangedByChangesToTheOriginal() {
        var store = TaskStore()
        for id in 1...5000 as ClosedRange<UInt64> { store[id] = task(id, endedAt: id) }
        let checkpoint = store
        store.removeEnded(now: 3001, retention: 1, keeping: []) { _ in }
        for id in 5001...6000 as ClosedRange<UInt64> { store[id] = task(id, endedAt: id) }
        var changed = store[4000]!
        changed.polls = 9
        store[4000] = changed
        #expect(
            checkpoint.count == 5000 && checkpoint[1] != nil && checkpoint[5001] == nil && checkpoint[4000]?.polls == 0)
        #expect(store.count == 3000 && store[1] == nil && store[4000]?.polls == 9)
    }
}

/// A parent that never ends (a server's task group) keeps only the structured children still listed: each leaves
/// the set it ends with when it ends or is dropped, so a monitor left on does not grow.
@Suite struct StructuredChildrenBoundTests {
    @Test func aParentThatLivesForEverHoldsOnlyItsListedChildren() {
        var trace = ScriptedTrace(retentionMilliseconds: 100)
        trace.at(0, .taskSpawned, name: "server", id: 1)
        for child in 0..<500 as Range<UInt64> {
            let at = Double(child) * 10
            trace.at(at, .taskPollBegan, id: 1)
            trace.at(at + 0.1, .taskWoken, id: 100 + child, arg: TaskWake.structuredChild.rawValue)
            trace.at(at + 0.2, .taskPollEnded, id: 1)
            trace.at(at + 1, .taskPollBegan, id: 100 + child)
            trace.at(at + 2, .taskPollEnded, id: 100 + child)  // then waits for ever: its end is not seen
        }
        trace.advance(to: 6000)
        #expect(trace.aggregator.structuredChildrenHeld <= 20, "\(trace.aggregator.structuredChildrenHeld) held")
        #expect(trace.state.tasks[1]?.state.isFinished == false)
    }
}
