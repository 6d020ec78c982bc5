import AsyncTopModel
import HeapModule

/// The rows of the tasks view: filtered, sorted, optionally as a tree by parent. Pure, so it is unit-tested
/// and benchmarked apart from drawing.
public enum TaskTable {
    public struct Row: Sendable {
        public var task: TaskState
        /// Tree prefix ("", "├─ ", "│  └─ ", ...); empty outside tree mode.
        public var prefix: String
    }

    /// A parsed filter: `state:ready`, `name:fetch`, or free text matched against name, spawn site and id.
    public struct Filter: Sendable {
        var state: TaskRunState?
        var name: String?
        var text: String?
        /// Why the query cannot match anything (`state:bogus`), to say so instead of an empty list.
        public private(set) var problem: String?

        public init(_ query: String) {
            let trimmed = query.trimmingSpaces()
            if trimmed.hasPrefix("state:") {
                let wanted = String(trimmed.dropFirst(6)).lowercased()
                state = TaskRunState.allCases.first { $0.rawValue.hasPrefix(wanted) && !wanted.isEmpty }
                if state == nil {
                    text = "\u{0}"  // unknown state: matches nothing
                    let states = TaskRunState.allCases.map(\.rawValue).joined(separator: ", ")
                    problem =
                        wanted.isEmpty
                        ? "state: needs a state (\(states))" : "no state '\(wanted)': the states are \(states)"
                }
            } else if trimmed.hasPrefix("name:") {
                name = String(trimmed.dropFirst(5)).lowercased()
            } else if !trimmed.isEmpty {
                text = trimmed.lowercased()
            }
        }

        public func matches(_ task: TaskState, in runtime: RuntimeState) -> Bool {
            if let state, task.state != state { return false }
            if let name, !runtime.name(of: task).lowercased().contains(name) { return false }
            if let text {
                return runtime.name(of: task).lowercased().contains(text)
                    || runtime.site(of: task).lowercased().contains(text)
                    || String(task.id) == text
            }
            return true
        }
    }

    /// The rows of the view: `count` tasks match the filter; `rows` holds the first of them in order, as
    /// many as `wanted` asks for (the tree mode holds them all); `followedIndex` is where the followed task is.
    public struct Listing: Sendable {
        public var count: Int
        public var rows: [Row]
        public var followedIndex: Int?
    }

    /// Filters and orders the tasks. Outside tree mode only the first `wanted(count)` rows are put in order
    /// (a partial selection with a heap when that is a small share of the tasks): a frame with 100 000 tasks
    /// costs one pass over them to filter and key, O(n) to heapify, and O(log n) per row on screen. `following`: a
    /// task whose place in the order is wanted (the selected one, so that the selection stays on it as tasks come
    /// and go around it); its rank costs one more comparison per task, and `wanted` gets it with the count.
    public static func listing(
        _ state: RuntimeState, sort: TaskColumn, descending: Bool, filter: String, tree: Bool, glyphs: Glyphs,
        following followed: UInt64? = nil, wanted: (_ count: Int, _ followedIndex: Int?) -> Int = { count, _ in count }
    ) -> Listing {
        var followedRank: Int?
        let parsed = Filter(filter)
        let now = state.nowNanoseconds
        func ordered<Key: Comparable>(_ key: (TaskState) -> Key) -> (count: Int, ids: [UInt64]) {
            var entries: [Entry<Key>] = []
            entries.reserveCapacity(state.tasks.count)
            state.tasks.forEachTask { task in
                if parsed.matches(task, in: state) {
                    entries.append(Entry(key: key(task), id: task.id, descending: descending))
                }
            }
            if let followed, let mine = entries.first(where: { $0.id == followed }) {
                followedRank = entries.reduce(0) { $1 < mine ? $0 + 1 : $0 }
            }
            let limit = tree ? entries.count : min(entries.count, max(0, wanted(entries.count, followedRank)))
            if limit * 8 >= entries.count {
                entries.sort()
                return (entries.count, entries.prefix(limit).map(\.id))
            }
            var heap = Heap(entries)
            var first: [UInt64] = []
            first.reserveCapacity(limit)
            while first.count < limit, let next = heap.popMin() { first.append(next.id) }
            return (entries.count, first)
        }
        let (count, ids): (Int, [UInt64])
        switch sort {
        case .id: (count, ids) = ordered(\.id)
        case .name: (count, ids) = ordered { state.name(of: $0) }
        case .state: (count, ids) = ordered(\.state.rawValue)
        case .polls: (count, ids) = ordered(\.polls)
        case .busy: (count, ids) = ordered { $0.busyNanoseconds(now: now) }
        case .scheduled: (count, ids) = ordered { $0.scheduledWaitNanoseconds(now: now) }
        case .idle: (count, ids) = ordered { $0.idleNanoseconds(now: now) }
        case .total: (count, ids) = ordered { $0.totalNanoseconds(now: now) }
        case .site: (count, ids) = ordered { state.site(of: $0) }
        }
        let tasks = ids.compactMap { state.tasks[$0] }
        guard tree else {
            return Listing(count: count, rows: tasks.map { Row(task: $0, prefix: "") }, followedIndex: followedRank)
        }
        let present = Set(ids)
        var children: [UInt64: [TaskState]] = [:]
        var roots: [TaskState] = []
        for task in tasks {
            if task.parent != 0, present.contains(task.parent), task.parent != task.id {
                children[task.parent, default: []].append(task)
            } else {
                roots.append(task)
            }
        }
        var rows: [Row] = []
        rows.reserveCapacity(tasks.count)
        var visited = Set<UInt64>()
        func visit(_ task: TaskState, indent: String, isLast: Bool, isRoot: Bool) {
            guard visited.insert(task.id).inserted else { return }
            rows.append(Row(task: task, prefix: isRoot ? "" : indent + (isLast ? glyphs.treeLast : glyphs.treeBranch)))
            let kids = children[task.id] ?? []
            let childIndent = isRoot ? "" : indent + (isLast ? "   " : glyphs.treePipe)
            for (index, kid) in kids.enumerated() {
                visit(kid, indent: childIndent, isLast: index == kids.count - 1, isRoot: false)
            }
        }
        for root in roots { visit(root, indent: "", isLast: true, isRoot: true) }
        return Listing(count: rows.count, rows: rows, followedIndex: rows.firstIndex { $0.task.id == followed })
    }

    /// A task's sort key; ties broken by id so the order is total and stable, and `descending` reverses both.
    struct Entry<Key: Comparable>: Comparable {
        var key: Key
        var id: UInt64
        var descending: Bool

        static func < (a: Entry, b: Entry) -> Bool {
            a.descending ? (b.key, b.id) < (a.key, a.id) : (a.key, a.id) < (b.key, b.id)
        }

        static func == (a: Entry, b: Entry) -> Bool { a.key == b.key && a.id == b.id }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
