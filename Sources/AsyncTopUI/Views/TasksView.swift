import AsyncTopModel

/// View 2: every task, sortable by any column, filterable, optionally as a tree by parent.
enum TasksView {
    static let columns: [ListDrawing.Column] = [
        .init(title: "ID", width: 7, alignRight: true),
        .init(title: "NAME", width: 16, flexible: true),
        .init(title: "STATE", width: 9),
        .init(title: "POLLS", width: 6, alignRight: true, priority: 3),
        .init(title: "BUSY", width: 8, alignRight: true),
        .init(title: "SCHED", width: 8, alignRight: true, priority: 2),
        .init(title: "IDLE", width: 8, alignRight: true, priority: 4),
        .init(title: "TOTAL", width: 8, alignRight: true, priority: 1),
        .init(title: "SPAWNED AT", width: 18, flexible: true, priority: 5)
    ]

    static func stateStyle(_ state: TaskRunState) -> Style {
        switch state {
        case .running: return .good
        case .ready: return .notice
        case .waiting, .done: return .plain
        case .failed: return .warning
        case .cancelled, .ended: return .dim
        }
    }

    static func draw(
        _ runtime: RuntimeState, _ monitor: inout MonitorState, on canvas: inout some Canvas, area: Screen.Area
    ) {
        // Only the rows up to the bottom of the screen are put in order and formatted. The selection stays on its
        // task, wherever new tasks put it in the order, until a key moves it.
        var followed: UInt64?
        if case .target(.task(let id)) = monitor.selectedKey[.tasks] { followed = id }
        let listing = TaskTable.listing(
            runtime, sort: monitor.taskSort, descending: monitor.sortDescending, filter: monitor.taskFilter,
            tree: monitor.treeMode, glyphs: monitor.glyphs, following: followed
        ) { count, followedIndex in
            let selected = followedIndex ?? monitor.selection(.tasks)
            let window = ListDrawing.window(height: area.height, count: count, selected: selected)
            return window.first + window.visible
        }
        if let index = listing.followedIndex { monitor.selectedRow[.tasks] = index }
        let widths = ListDrawing.layout(columns, width: area.width)
        let arrow = monitor.sortDescending ? monitor.glyphs.down : monitor.glyphs.up
        // Tree mode says so in the NAME title: at the line's end it covered the last column's title.
        let titles = columns.enumerated().map { index, column in
            let title = monitor.treeMode && column.title == "NAME" ? "NAME (tree)" : column.title
            return index == monitor.taskSort.rawValue ? title + arrow : title
        }
        let now = runtime.nowNanoseconds
        func line(_ index: Int) -> ListDrawing.Line {
            let row = listing.rows[index]
            let task = row.task
            let cells = [
                String(task.id), row.prefix + runtime.name(of: task), task.state.rawValue, String(task.polls),
                Format.duration(task.busyNanoseconds(now: now)),
                Format.duration(task.scheduledWaitNanoseconds(now: now)),
                Format.duration(task.idleNanoseconds(now: now)), Format.duration(task.totalNanoseconds(now: now)),
                runtime.site(of: task)
            ]
            return ListDrawing.Line(
                text: ListDrawing.row(cells, columns, widths: widths), style: stateStyle(task.state),
                target: .task(task.id))
        }
        let header = ListDrawing.row(titles, columns, widths: widths)
        let filter = TaskTable.Filter(monitor.taskFilter)
        let empty =
            filter.problem
            ?? (monitor.taskFilter.isEmpty
                ? "(no tasks)" : "no task matches '\(monitor.taskFilter)' (Esc clears the filter)")
        // A line above says what the list holds: ended tasks leave it after the retention time, so it has fewer
        // rows than the header has tasks (a newcomer counted 44 rows against 91 spawned).
        let live = runtime.tasks.live.count
        let list = ListDrawing.summary(
            "\(live) live, \(runtime.tasks.count - live) ended; an ended task stays "
                + "\(Format.duration(monitor.retentionNanoseconds)), or while the cursor is on it", on: &canvas,
            area: area)
        ListDrawing.draw(
            header: header, count: listing.count, line: line, &monitor, on: &canvas, top: list.top,
            height: list.height, width: list.width, empty: empty)
    }
}
