import AsyncTopModel

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

        public init(_ query: String) {
            let trimmed = query.trimmingSpaces()
            if trimmed.hasPrefix("state:") {
                let wanted = String(trimmed.dropFirst(6)).lowercased()
                state = TaskRunState.allCases.first { $0.rawValue.hasPrefix(wanted) && !wanted.isEmpty }
                if state == nil { text = "\u{0}" }  // unknown state: matches nothing
            } else if trimmed.hasPrefix("name:") {
                name = String(trimmed.dropFirst(5)).lowercased()
            } else if !trimmed.isEmpty {
                text = trimmed.lowercased()
            }
        }

        public func matches(_ task: TaskState) -> Bool {
            if let state, task.state != state { return false }
            if let name, !task.name.lowercased().contains(name) { return false }
            if let text {
                return task.name.lowercased().contains(text) || task.spawnSite.lowercased().contains(text)
                    || String(task.id) == text
            }
            return true
        }
    }

    public static func rows(
        _ state: RuntimeState, sort: TaskColumn, descending: Bool, filter: String, tree: Bool, glyphs: Glyphs
    ) -> [Row] {
        let parsed = Filter(filter)
        let now = state.nowNanoseconds
        var tasks = state.tasks.values.filter { parsed.matches($0) }
        tasks.sort { a, b in
            let ordered = less(a, b, by: sort, now: now)
            return descending ? ordered.reversed : ordered.value
        }
        guard tree else { return tasks.map { Row(task: $0, prefix: "") } }
        let present = Set(tasks.map(\.id))
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
        return rows
    }

    /// (a before b, b before a) by a column, ties broken by id so the order is total and stable.
    private static func less(_ a: TaskState, _ b: TaskState, by column: TaskColumn, now: UInt64) -> (value: Bool, reversed: Bool) {
        func compare<T: Comparable>(_ x: T, _ y: T) -> (Bool, Bool) {
            x == y ? (a.id < b.id, a.id > b.id) : (x < y, x > y)
        }
        switch column {
        case .id: return compare(a.id, b.id)
        case .name: return compare(a.name, b.name)
        case .state: return compare(a.state.rawValue, b.state.rawValue)
        case .polls: return compare(a.polls, b.polls)
        case .busy: return compare(a.busyNanoseconds, b.busyNanoseconds)
        case .scheduled: return compare(a.scheduledWaitNanoseconds, b.scheduledWaitNanoseconds)
        case .idle: return compare(a.idleNanoseconds, b.idleNanoseconds)
        case .total: return compare(a.totalNanoseconds(now: now), b.totalNanoseconds(now: now))
        case .site: return compare(a.spawnSite, b.spawnSite)
        }
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
