import AsyncTopModel

/// The monitor's keys, htop- and less-style. Every binding is listed by `Keymap.help` (the `?` overlay).
public enum Keymap {
    public static let help: [(key: String, help: String)] = [
        ("1-6, Tab", "switch view (Shift-Tab back)"),
        ("↑ ↓  j k", "move the selection"),
        ("PgUp PgDn", "move a page"),
        ("g G", "first / last row"),
        ("Enter", "open the task / jump to a warning's culprit"),
        ("Esc", "back, close help, clear the filter"),
        ("← →  < >", "sort tasks by the previous / next column"),
        ("i", "invert the sort order"),
        ("/", "filter tasks: text, state:ready, name:fetch"),
        ("t", "tasks as a tree by parent"),
        ("e", "open / close a group of warnings"),
        ("space", "freeze the display (events still ingested)"),
        ("?", "this help (↑ ↓ scroll it in a small window)"),
        ("q  Ctrl-C", "quit")
    ]

    /// Applies `key` to the monitor. Returns false if the key is not the monitor's (the app may handle it).
    public static func handle(_ key: Key, _ monitor: inout MonitorState, runtime: RuntimeState) -> Bool {
        if var draft = monitor.filterDraft {
            switch key {
            case .enter:
                monitor.taskFilter = draft
                monitor.filterDraft = nil
            case .escape:
                monitor.filterDraft = nil
                monitor.taskFilter = ""
            case .controlU:
                monitor.filterDraft = ""
                monitor.taskFilter = ""
            case .backspace:
                if !draft.isEmpty { draft.removeLast() }
                monitor.filterDraft = draft
                monitor.taskFilter = draft
            case .character(let c):
                draft.append(c)
                monitor.filterDraft = draft
                monitor.taskFilter = draft
            case .controlC:
                monitor.quitRequested = true
            default:
                break
            }
            monitor.selectedRow[.tasks] = 0
            monitor.selectedKey[.tasks] = nil
            return true
        }
        if monitor.showHelp {
            // ↑ ↓ scroll a help too long for the window (the draw clamps); any other key closes it.
            switch key {
            case .up, .character("k"): monitor.helpScroll -= 1
            case .down, .character("j"): monitor.helpScroll += 1
            case .pageUp: monitor.helpScroll -= 5
            case .pageDown: monitor.helpScroll += 5
            default:
                if key == .character("q") || key == .controlC { monitor.quitRequested = true }
                monitor.showHelp = false
            }
            return true
        }
        let view = monitor.view
        let rowCount = monitor.rowCount
        func move(_ delta: Int) {
            let current = monitor.selection(view)
            monitor.selectedRow[view] = max(0, min(max(rowCount - 1, 0), current + delta))
            monitor.selectedKey[view] = nil  // the next draw records the row moved to
        }
        switch key {
        case .character("q"), .controlC:
            monitor.quitRequested = true
        case .character("?"):
            monitor.showHelp = true
            monitor.helpScroll = 0
        case .character(let c) where ("1"..."6").contains(c):
            let target = ViewID(rawValue: Int(String(c))!)!
            if target == .taskDetail, monitor.detailTaskID == nil { return true }
            show(target, &monitor)
        case .tab, .backTab:
            let order = ViewID.allCases.filter { $0 != .taskDetail || monitor.detailTaskID != nil }
            let index = order.firstIndex(of: view) ?? 0
            let step = key == .tab ? 1 : order.count - 1
            show(order[(index + step) % order.count], &monitor)
        case .up, .character("k"): move(-1)
        case .down, .character("j"): move(1)
        case .pageUp: move(-monitor.pageSize)
        case .pageDown: move(monitor.pageSize)
        case .home, .character("g"):
            monitor.selectedRow[view] = 0
            monitor.selectedKey[view] = nil
        case .end, .character("G"):
            monitor.selectedRow[view] = max(0, rowCount - 1)
            monitor.selectedKey[view] = nil
        case .escape:
            if view == .taskDetail {
                show(monitor.previousView, &monitor)
            } else if view == .tasks, !monitor.taskFilter.isEmpty {
                monitor.taskFilter = ""
                monitor.selectedRow[.tasks] = 0
                monitor.selectedKey[.tasks] = nil
            }
        case .enter:
            let index = monitor.selection(view)
            guard let target = monitor.target(ofRow: index) else { return true }
            jump(to: target, &monitor)
        case .left, .character("<"):
            guard view == .tasks else { return false }
            let columns = TaskColumn.allCases
            monitor.taskSort = columns[(monitor.taskSort.rawValue + columns.count - 1) % columns.count]
        case .right, .character(">"):
            guard view == .tasks else { return false }
            let columns = TaskColumn.allCases
            monitor.taskSort = columns[(monitor.taskSort.rawValue + 1) % columns.count]
        case .character("i"):
            guard view == .tasks else { return false }
            monitor.sortDescending.toggle()
        case .character("/"):
            if view != .tasks { show(.tasks, &monitor) }
            monitor.filterDraft = monitor.taskFilter
        case .character("t"):
            guard view == .tasks else { return false }
            monitor.treeMode.toggle()
        case .character("e"):
            guard view == .warnings else { return false }
            let group: WarningGroup.Key
            switch monitor.selectedKey[.warnings] {
            case .warningGroup(let key)?, .warning(_, let key)?: group = key
            default: return true
            }
            if monitor.expandedWarningGroups.remove(group) == nil { monitor.expandedWarningGroups.insert(group) }
            monitor.selectedKey[.warnings] = .warningGroup(group)  // the selection stays on the group's row
        case .character(" "):
            monitor.frozen = monitor.frozen == nil ? runtime : nil
        case .resize:
            break
        default:
            return false
        }
        return true
    }

    static func show(_ view: ViewID, _ monitor: inout MonitorState) {
        if view == .taskDetail, monitor.view != .taskDetail { monitor.previousView = monitor.view }
        monitor.view = view
    }

    /// Opens what a row or a warning points at.
    static func jump(to culprit: Warning.Culprit, _ monitor: inout MonitorState) {
        switch culprit {
        case .task(let id):
            monitor.detailTaskID = id
            show(.taskDetail, &monitor)
        case .callSite:
            show(.callbacks, &monitor)
            monitor.pendingFocus = culprit
        case .timer:
            show(.timers, &monitor)
            monitor.pendingFocus = culprit
        case .loop, .counter, .pool:
            show(.overview, &monitor)
        }
    }
}
