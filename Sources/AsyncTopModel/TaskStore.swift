import DequeModule

/// Tasks by id (`RuntimeState.tasks`): the live ones in a hash table, the ended ones in chunks in the order they
/// ended.
///
/// Every task event looks its task up and writes it back, so live tasks sit in a `Dictionary` (one hash lookup each
/// way). Ended tasks are many and rarely change: a server keeps each request's task for
/// `Aggregator.retentionNanoseconds`, 250 000 of them at the end of the 10M-event benchmark trace. Replay keeps
/// copies of the whole state as checkpoints, and the first change after restoring one copies what it changes.
/// With ended tasks in a `Dictionary`, that copied the table whole (~75 MB: 30–50 ms a seek, half the time of
/// opening a trace). A persistent hash tree (swift-collections' `TreeDictionary`) did not help: tasks end and leave
/// at random places of a hash tree, so the thousands that change between two checkpoints copied most of its
/// leaves. In chunks of 1 024 by end order, tasks end into the last chunk and leave from the first: a copy of the
/// store shares every chunk, and a change after it copies one chunk (140 kB) and the id index (~12 B a task).
///
/// A value, like the rest of `RuntimeState`; confined to its owner's thread.
public struct TaskStore: Sendable {
    /// Tasks not finished yet.
    public private(set) var live: [UInt64: TaskState] = [:]
    /// Ended tasks past their retention that a warning still names (`removeEnded`): few.
    @usableFromInline var kept: [UInt64: TaskState] = [:]
    @usableFromInline var ended = EndedTasks()

    public init() {}

    /// Task `id`, live or ended. Setting a finished task moves it to the ended ones (a finished task never becomes
    /// unfinished again, but its id may be spawned anew); setting nil forgets a live task (`removeLive`).
    public subscript(id: UInt64) -> TaskState? {
        get { live[id] ?? ended[id] ?? kept[id] }
        set {
            guard let task = newValue else { return removeLive(id) }
            if !task.state.isFinished {
                live[id] = task
            } else if live.removeValue(forKey: id) != nil || !ended.update(task) {
                if kept.removeValue(forKey: id) != nil { kept[id] = task } else { ended.append(task) }
            }
        }
    }

    /// Forgets a task that has not ended (its end cannot be seen).
    public mutating func removeLive(_ id: UInt64) {
        live.removeValue(forKey: id)
    }

    public var count: Int { live.count + kept.count + ended.count }
    public var isEmpty: Bool { count == 0 }
    /// Every task: the live ones, then the ended ones.
    public var values: Values {
        Values(live: live.values.makeIterator(), kept: kept.values.makeIterator(), ended: ended.values)
    }

    /// Calls `body` with every task, the live ones first: what a view walking 100 000 tasks a frame uses, inlined
    /// (through `values`, an iterator's `next` per task made the tasks view's frame take twice as long).
    @inlinable
    public func forEachTask(_ body: (TaskState) throws -> Void) rethrows {
        for task in live.values { try body(task) }
        for task in kept.values { try body(task) }
        var rest = ended.values
        while let task = rest.next() { try body(task) }
    }

    /// Removes the ended tasks that ended at least `retention` before `now`, except those in `keep` (a warning
    /// names them), and calls `removed` with each. Tasks leave in the order they ended: one that ended before a
    /// task still retained, but was read after it, leaves with it. O(removed + kept).
    mutating func removeEnded(now: UInt64, retention: UInt64, keeping keep: Set<UInt64>, removed: (UInt64) -> Void) {
        for id in kept.keys where !keep.contains(id) {
            kept.removeValue(forKey: id)
            removed(id)
        }
        while let oldest = ended.removeOldest(if: { now - min(now, $0.endedNanoseconds ?? now) >= retention }) {
            if keep.contains(oldest.id) { kept[oldest.id] = oldest } else { removed(oldest.id) }
        }
    }

    /// `TaskStore.values`: the live tasks, then the ended ones.
    public struct Values: Sequence, IteratorProtocol {
        var live: Dictionary<UInt64, TaskState>.Values.Iterator
        var kept: Dictionary<UInt64, TaskState>.Values.Iterator
        var ended: EndedTasks.Values

        public mutating func next() -> TaskState? { live.next() ?? kept.next() ?? ended.next() }
    }
}

/// Ended tasks in the order they ended, in chunks that copies of the store share (see `TaskStore`).
@usableFromInline
struct EndedTasks: Sendable {
    private static let chunkSize = 1024
    private var chunks: Deque<[TaskState]> = []
    /// Position (counted over the store's life) of `chunks[0][0]`, and of the oldest task not removed.
    private var firstChunkStart = 0
    private var oldestPosition = 0
    /// Each task's position. A slot whose task's position is another is a task ended again under the same id.
    private var positions = TaskPositions()
    /// Slots left behind by tasks ended again: until there are some, walking the slots needs no lookup.
    private var supersededSlots = 0

    var count: Int { positions.count }

    subscript(id: UInt64) -> TaskState? { positions[id].map { self[position: $0] } }

    private subscript(position position: Int) -> TaskState {
        get { chunks[(position - firstChunkStart) / Self.chunkSize][(position - firstChunkStart) % Self.chunkSize] }
        set {
            chunks[(position - firstChunkStart) / Self.chunkSize][(position - firstChunkStart) % Self.chunkSize] =
                newValue
        }
    }

    /// Writes a change to a task already here; false if it is not.
    mutating func update(_ task: TaskState) -> Bool {
        guard let position = positions[task.id] else { return false }
        self[position: position] = task
        return true
    }

    /// Adds a task that just ended (or ended again under the same id).
    mutating func append(_ task: TaskState) {
        if chunks.last.map({ $0.count == Self.chunkSize }) ?? true {
            chunks.append([])
            chunks[chunks.count - 1].reserveCapacity(Self.chunkSize)
        }
        chunks[chunks.count - 1].append(task)
        if positions.set(endPosition - 1, of: task.id) != nil { supersededSlots += 1 }
    }

    /// Removes the task that ended first of those still here, and returns it, if `leaves` says it should.
    mutating func removeOldest(if leaves: (TaskState) -> Bool) -> TaskState? {
        while oldestPosition < endPosition {
            let task = self[position: oldestPosition]
            let current = supersededSlots == 0 || positions[task.id] == oldestPosition
            if current {
                guard leaves(task) else { return nil }
                positions.remove(task.id)
            } else {
                supersededSlots -= 1
            }
            oldestPosition += 1
            if oldestPosition - firstChunkStart == Self.chunkSize {
                chunks.removeFirst()
                firstChunkStart += Self.chunkSize
            }
            if current { return task }
        }
        return nil
    }

    @usableFromInline
    var values: Values { Values(store: self, position: oldestPosition) }

    /// The tasks from the oldest, passing over superseded slots.
    @usableFromInline
    struct Values: Sequence, IteratorProtocol {
        let store: EndedTasks
        var position: Int

        @usableFromInline
        mutating func next() -> TaskState? {
            while position < store.endPosition {
                let task = store[position: position]
                position += 1
                if store.supersededSlots == 0 || store.positions[task.id] == position - 1 { return task }
            }
            return nil
        }
    }

    /// The position the next task to end takes.
    private var endPosition: Int {
        firstChunkStart + (chunks.last.map { (chunks.count - 1) * Self.chunkSize + $0.count } ?? 0)
    }
}

/// Ended tasks' positions by id, in shards of 4 096 consecutive ids. Runtimes hand task ids out in order, so the
/// tasks that end or leave between two copies of the store (two replay checkpoints) fall in a few shards, and a
/// change after a copy copies only those: one `Dictionary` of 250 000 ids cost 20 ms to copy, each time.
struct TaskPositions: Sendable {
    private var shards: [UInt64: [UInt64: Int]] = [:]
    private(set) var count = 0

    subscript(id: UInt64) -> Int? { shards[id >> 12]?[id] }

    /// Sets `id`'s position; returns the one it replaced.
    mutating func set(_ position: Int, of id: UInt64) -> Int? {
        let replaced = shards[id >> 12, default: [:]].updateValue(position, forKey: id)
        if replaced == nil { count += 1 }
        return replaced
    }

    mutating func remove(_ id: UInt64) {
        guard shards[id >> 12]?.removeValue(forKey: id) != nil else { return }
        count -= 1
        if shards[id >> 12]?.isEmpty == true { shards.removeValue(forKey: id >> 12) }
    }
}
