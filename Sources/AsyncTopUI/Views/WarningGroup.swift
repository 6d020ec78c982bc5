import AsyncTopModel
import AsyncTopTrace

/// Warnings of one kind about one subject in one place (a call site that blocks every 2 s, a timer late each time):
/// the warnings view lists each group once, with how many it holds (×N), and opens it on `e` to list them all.
/// Grouping per frame is O(warnings kept) (at most `Aggregator.warningLimit`, 1 000).
struct WarningGroup {
    struct Key: Hashable, Sendable {
        var kind: Warning.Kind
        var place: Place
        var subject: String

        init(_ warning: Warning) {
            kind = warning.kind
            place = Place(warning)
            subject = warning.subject
        }
    }

    /// Where a group's warnings were: one event loop or SwiftNIO loop, or the Swift Concurrency pool. Every pool
    /// thread, and every thread handing the pool tasks, is the pool: which of them raised a starved warning (the one
    /// that handed the task on, or the one that polled it late) is chance, and grouped by thread one late request
    /// read as three groups (pool-starvation: ×85 on t2, ×15 on p2, ×10 on p1). An opened group's rows say the
    /// thread.
    enum Place: Hashable, Sendable {
        case loop(UInt16)
        case pool

        init(_ warning: Warning) {
            guard warning.culprit != .pool else {
                self = .pool
                return
            }
            switch ProducerKind(loop: warning.loop) {
            case .poolThread, .enqueuingThread: self = .pool
            case .eventLoop, .nioLoop: self = .loop(warning.loop)
            }
        }

        /// The LOOP column's label of a group's row.
        var label: String {
            switch self {
            case .loop(let loop): return ProducerKind.label(loop: loop)
            case .pool: return "pool"
            }
        }
    }

    var key: Key
    /// Its warnings, newest first.
    var warnings: [Warning]
    var latest: Warning { warnings[0] }
    /// The one with the largest figure (how late, how long blocked), the latest of equals: what the group's row says
    /// happened, so that a group of late timers reads its 380 ms, not its latest 20 ms.
    var worst: Warning {
        warnings.indices.max {
            warnings[$0].figureNanoseconds < warnings[$1].figureNanoseconds
                || (warnings[$0].figureNanoseconds == warnings[$1].figureNanoseconds && $0 < $1)
        }.map { warnings[$0] } ?? latest
    }

    /// The groups of `newestFirst` (warnings newest first), the group with the newest warning first.
    static func groups(_ newestFirst: [Warning]) -> [WarningGroup] {
        var groups: [WarningGroup] = []
        var index: [Key: Int] = [:]
        for warning in newestFirst {
            let key = Key(warning)
            if let position = index[key] {
                groups[position].warnings.append(warning)
            } else {
                index[key] = groups.count
                groups.append(WarningGroup(key: key, warnings: [warning]))
            }
        }
        return groups
    }

    /// A row of the warnings view: a group, or one warning of an open group under it.
    enum Row {
        case group(WarningGroup)
        case member(Warning)
    }

    /// The view's rows: each group, and under each open one (in `expanded`) its warnings.
    static func rows(_ newestFirst: [Warning], expanded: Set<Key>) -> [Row] {
        groups(newestFirst).flatMap { group -> [Row] in
            guard expanded.contains(group.key), group.warnings.count > 1 else { return [.group(group)] }
            return [.group(group)] + group.warnings.map(Row.member)
        }
    }
}
