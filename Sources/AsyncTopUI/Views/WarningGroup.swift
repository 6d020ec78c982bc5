import AsyncTopModel

/// Warnings of one kind about one subject on one loop (a call site that blocks every 2 s, a timer late each time):
/// the warnings view lists each group once, with how many it holds (×N), and opens it on `e` to list them all.
/// Grouping per frame is O(warnings kept) (at most `Aggregator.warningLimit`, 1 000).
struct WarningGroup {
    struct Key: Hashable, Sendable {
        var kind: Warning.Kind
        var loop: UInt16
        var subject: String

        init(_ warning: Warning) {
            kind = warning.kind
            loop = warning.loop
            subject = warning.subject
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
