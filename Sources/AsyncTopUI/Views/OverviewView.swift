import AsyncTopModel
import AsyncTopTrace

/// View 1: each loop at a glance — latency over the last seconds (sparkline of each second's worst delay, and
/// p50/p99/max over a sliding window), utilisation, ticks and events per second, and queue depths over time;
/// SwiftNIO's loops (their turns: busy split into I/O handling and tasks, tasks per tick, turn lengths); and Swift
/// Concurrency's pool, its threads summed (the concurrency tap), with its run queue.
enum OverviewView {
    /// The sliding window for the percentiles, in seconds.
    static let windowSeconds = LoopWindow.seconds

    static func draw(
        _ runtime: RuntimeState, _ monitor: inout MonitorState, on canvas: inout some Canvas, area: Screen.Area
    ) {
        monitor.clearRows()
        let glyphs = monitor.glyphs
        var row = area.top
        let bottom = area.top + area.height
        let loops = runtime.loops.values.filter { ProducerKind(loop: $0.id) == .eventLoop }.sorted { $0.id < $1.id }
        let poolThreads = runtime.loops.values.filter { ProducerKind(loop: $0.id) == .poolThread }.sorted {
            $0.id < $1.id
        }
        let nioLoops = runtime.loops.values.filter { ProducerKind(loop: $0.id) == .nioLoop }.sorted { $0.id < $1.id }
        if loops.isEmpty && poolThreads.isEmpty && nioLoops.isEmpty {
            canvas.put(row: row, column: 1, "Waiting for events…", style: .dim)
            return
        }
        let nowSecond = runtime.nowNanoseconds / 1_000_000_000
        let sparkWidth = max(10, min(60, area.width - 52))
        for loop in nioLoops where row + 1 < bottom {
            drawNIOLoop(
                loop, runtime, glyphs: glyphs, sparkWidth: sparkWidth, row: &row, bottom: bottom, on: &canvas,
                area: area)
        }
        if !poolThreads.isEmpty {
            drawPool(
                runtime, poolThreads, glyphs: glyphs, sparkWidth: sparkWidth, row: &row, bottom: bottom, on: &canvas,
                area: area)
        }
        // A window too short for every loop's queues shows each loop's first three lines (state, busy, latency):
        // at 40x12 the second loop of multi-loop was never on screen, nor said to exist.
        let compact = loops.count > 1 && loops.count * 8 > bottom - row
        for (index, loop) in loops.enumerated() {
            guard row + 1 < bottom else {
                canvas.put(
                    row: bottom - 1, column: 1, "… \(loops.count - index) more loops in a bigger window", style: .dim)
                break
            }
            let recent = loop.seconds.window(endingAt: nowSecond, count: sparkWidth)
            let figures = runtime.window(of: loop, endingAt: nowSecond)
            let (latency, ticks, events, seconds, busyRatio) = (
                figures.latency, figures.ticks, figures.events, figures.seconds, figures.busyRatio
            )
            let state = runState(of: loop)
            canvas.put(
                row: row, column: 0,
                loopTitle(
                    [
                        "loop \(loop.id)", state, "ticks/s \(Format.count(Double(ticks) / seconds))",
                        // Both rates are over the window the latency line states too.
                        "events/s \(Format.count(Double(events) / seconds)) (\(Int(seconds))s)",
                        "thread \(loop.threadID)"
                    ], width: area.width), style: .title)
            row += 1
            let busyStyle: Style = busyRatio > 0.9 ? .warning : busyRatio > 0.6 ? .notice : .good
            if row < bottom {
                drawBusy(
                    busyRatio, style: busyStyle,
                    parts: [
                        "\(Format.decimal(busyRatio * 100, digits: 0))% over \(Int(seconds))s",
                        "   whole run \(Format.decimal(runtime.busyRatio(of: loop, until: runtime.nowNanoseconds) * 100, digits: 0))%"
                    ], glyphs: glyphs, row: row, on: &canvas, area: area)
                row += 1
            }
            if row < bottom {
                let worst = recent.map { $0.map { Double($0.latency.max) } }
                drawDelays(
                    // Held in step mode, the delays leave the held time out (nobody's delay): the line says so.
                    "latency", worst, latency,
                    window: loop.heldSinceNanoseconds != nil
                        ? "(\(windowSeconds)s, held time left out)" : "(\(windowSeconds)s)",
                    glyphs: glyphs, sparkWidth: sparkWidth,
                    row: row, on: &canvas, area: area)
                row += 1
            }
            // Each second's deepest, and the depth it ended at.
            let queues: [(String, (LoopSecond) -> Int, (LoopSecond) -> Int, Int)] = [
                ("callbacks", { $0.callbackQueueDepth }, { $0.callbacksAtEnd }, loop.callbackQueueDepth),
                ("microtasks", { $0.microtaskQueueDepth }, { $0.microtasksAtEnd }, loop.microtaskQueueDepth),
                ("timers", { $0.pendingTimers }, { $0.pendingTimers }, loop.pendingTimers),
                ("io", { $0.ioWatchers }, { $0.ioWatchers }, loop.ioWatchers)
            ]
            for (name, depth, atEnd, current) in queues where row < bottom && !compact {
                // A second without events left the queue as the second before ended it (an idle loop's pending
                // timer is still pending), not at that second's peak: echo-server's 100 callbacks, queued for a
                // moment each round, drew a queue full all the time.
                let series = holdingQuietSeconds(
                    recent, value: { Double(depth($0)) }, carried: { Double(atEnd($0)) })
                canvas.put(row: row, column: 2, TextWidth.pad(name, to: 10))
                canvas.put(row: row, column: 13, glyphs.sparkline(series, floor: 4), style: .accent)
                canvas.put(
                    row: row, column: 14 + sparkWidth, "now \(current)  max \(Int(series.compactMap { $0 }.max() ?? 0))"
                )
                row += 1
            }
            if !compact { row += 1 }
        }
        // Room for the title and one line at least: with the title alone, its one line read "… and 1 more".
        if row + 2 < bottom, !runtime.counters.isEmpty {
            drawCounters(
                runtime, glyphs: glyphs, sparkWidth: sparkWidth, nowSecond: nowSecond, row: &row, bottom: bottom - 1,
                on: &canvas, area: area)
        }
        if row < bottom {
            // Whole parts, in this order, while they fit: a count cut short reads as another count.
            let t = runtime.totals
            let taskParts = [
                "tasks \(t.tasksSpawned) spawned", ", \(t.tasksCompleted) done", ", \(t.tasksFailed) failed",
                ", \(t.tasksCancelled) cancelled"
            ]
            let parts =
                taskParts + (t.tasksEnded > 0 ? [", \(t.tasksEnded) ended with their parent"] : [])
                + ["   callbacks \(t.callbacks)", "   timers \(t.timersFired) fired"]
            canvas.put(row: row, column: 1, TextWidth.fitParts(parts, to: area.width - 2), style: .dim)
        }
    }

    /// The user's counters, one line each by name: a sparkline of each second's highest value (a second in which it
    /// was not set shows the value it held: its last of the second before), its value now and its highest in the
    /// sparkline's seconds. Counters that do not fit above `bottom` are counted on the last line.
    private static func drawCounters(
        _ runtime: RuntimeState, glyphs: Glyphs, sparkWidth: Int, nowSecond: UInt64, row: inout Int, bottom: Int,
        on canvas: inout some Canvas, area: Screen.Area
    ) {
        canvas.put(row: row, column: 1, "counters", style: .title)
        row += 1
        let names = runtime.counters.keys.sorted()
        let labelWidth = min(24, names.map(TextWidth.of).max() ?? 0)
        for (index, name) in names.enumerated() {
            guard row + 1 < bottom || (row < bottom && index == names.count - 1) else {
                let rest =
                    index == 0
                    ? "\(names.count) counters (a bigger window shows them)" : "… and \(names.count - index) more"
                canvas.put(row: row, column: 2, rest, style: .dim)
                row += 1
                return
            }
            let series = holdingQuietSeconds(
                runtime.counterSeconds[name]?.window(endingAt: nowSecond, count: sparkWidth) ?? [],
                value: { Double($0.highest) }, carried: { Double($0.last) })
            let now = runtime.counters[name] ?? 0
            let highest = max(now, Int64(series.compactMap { $0 }.max() ?? Double(now)))
            let figures = "now \(now)  max \(highest)"
            canvas.put(row: row, column: 2, TextWidth.pad(TextWidth.truncate(name, to: labelWidth), to: labelWidth))
            // As on the latency line: the sparkline gives up its oldest seconds first, and goes under 8 of them.
            let column = max(13, 3 + labelWidth)  // under the loops' sparklines when the names are short
            let shown = min(sparkWidth, area.width - column - 1 - TextWidth.of(figures))
            if shown >= 8 {
                canvas.put(
                    row: row, column: column, glyphs.sparkline(Array(series.suffix(shown)), floor: 4), style: .accent)
                canvas.put(row: row, column: column + shown + 1, figures)
            } else {
                canvas.put(row: row, column: column, TextWidth.fitWords(figures, to: max(0, area.width - column)))
            }
            row += 1
        }
    }

    /// A busy line: a bar of `ratio`, then `parts` (the first is the share and its window) whole, in order, while
    /// they fit; a narrow line shortens the bar (to 8) before it drops a part, and never cuts one.
    private static func drawBusy(
        _ ratio: Double, style: Style, parts: [String], glyphs: Glyphs, row: Int, on canvas: inout some Canvas,
        area: Screen.Area
    ) {
        let room = area.width - 14
        // The bar's width does not depend on the share's digits: two loops' bars line up ("0%" and "61%").
        let first = max(TextWidth.of(parts.first ?? ""), TextWidth.of("100% over 10s"))
        let barWidth = max(8, min(20, room - first - 1))
        let text = TextWidth.fitParts(parts, to: room - barWidth - 1)
        canvas.put(row: row, column: 2, "busy")
        canvas.put(row: row, column: 13, glyphs.bar(ratio, width: barWidth), style: style)
        canvas.put(row: row, column: 14 + barWidth, " " + text)
    }

    /// A line of delays: a sparkline of each second's worst delay (a second's p99 hides a few late timers among
    /// thousands of quick microtasks: microtask-starvation's 400 ms phase read like its few-ms one), then the window's
    /// figures (p50, p99, max, and the window when given). A narrow line shortens the sparkline to its latest
    /// seconds; too narrow for 8 of them, it shows the figures alone, as many whole ones as fit, the worst delay
    /// first (a figure cut short reads as another figure: `p99 9` for `p99 9.4ms`).
    private static func drawDelays(
        _ label: String, _ worst: [Double?], _ latency: LatencyHistogram, window: String?, glyphs: Glyphs,
        sparkWidth: Int,
        row: Int, on canvas: inout some Canvas, area: Screen.Area
    ) {
        let figures =
            [
                "p50 \(Format.duration(latency.percentile(50)))", "p99 \(Format.duration(latency.percentile(99)))",
                "max \(Format.duration(latency.max))"
            ] + (window.map { [$0] } ?? [])
        let summary = figures.joined(separator: "  ")
        canvas.put(row: row, column: 2, label)
        // The sparkline gives up its oldest seconds before the figures give up a figure; under 8 seconds it goes.
        let shown = min(sparkWidth, area.width - 14 - TextWidth.of(summary))
        if shown < 8 {
            // The worst delay first (it is what the sparkline would have shown), then p99, p50, the window; shown in
            // their usual order.
            var kept = Set<Int>()
            for index in [2, 1, 0, 3] where figures.indices.contains(index) {
                let trying = kept.union([index])
                let text = figures.indices.filter(trying.contains).map { figures[$0] }.joined(separator: "  ")
                if TextWidth.of(text) <= area.width - 14 { kept = trying }
            }
            canvas.put(
                row: row, column: 13, figures.indices.filter(kept.contains).map { figures[$0] }.joined(separator: "  "))
        } else {
            canvas.put(
                row: row, column: 13, glyphs.sparkline(Array(worst.suffix(shown)), floor: 1_000_000),
                style: latency.percentile(99) >= 10_000_000 ? .warning : .accent)
            canvas.put(row: row, column: 14 + shown, summary)
        }
    }

    /// A loop's title line: its parts, most important first, as many as fit whole (a rate is never cut to `tic…`).
    static func loopTitle(_ parts: [String], width: Int) -> String {
        let kept = TextWidth.fitParts(parts, separator: "  ", to: width - 1)
        return TextWidth.pad(" " + (kept.isEmpty ? parts.first ?? "" : kept), to: width)
    }

    /// A SwiftNIO loop: its state and tick rate, busy share split into I/O handling and tasks, and the length of its
    /// turns (NIO reports ticks, not tasks: a turn's length is the longest any of its tasks could have waited).
    /// "stopped", "held" (step mode) or "running".
    private static func runState(of loop: LoopState) -> String {
        loop.stoppedNanoseconds != nil ? "stopped" : loop.heldSinceNanoseconds != nil ? "held" : "running"
    }

    /// A sparkline's values over `seconds`: `value` of each second with events; in a second without (nil), what
    /// the last second with events left (`carried`), for a queue or a counter keeps its level between events.
    private static func holdingQuietSeconds<Second>(
        _ seconds: [Second?], value: (Second) -> Double, carried: (Second) -> Double
    ) -> [Double?] {
        var held: Double?
        return seconds.map { second in
            guard let second else { return held }
            held = carried(second)
            return value(second)
        }
    }

    private static func drawNIOLoop(
        _ loop: LoopState, _ runtime: RuntimeState, glyphs: Glyphs, sparkWidth: Int, row: inout Int, bottom: Int,
        on canvas: inout some Canvas, area: Screen.Area
    ) {
        let nowSecond = runtime.nowNanoseconds / 1_000_000_000
        let figures = runtime.window(of: loop, endingAt: nowSecond)
        let state = runState(of: loop)
        let perTick =
            figures.ticks == 0
            ? [] : ["tasks/tick \(Format.decimal(Double(figures.itemsRun) / Double(figures.ticks), digits: 1))"]
        canvas.put(
            row: row, column: 0,
            loopTitle(
                [
                    ProducerKind.name(loop: loop.id), state,
                    "ticks/s \(Format.count(Double(figures.ticks) / figures.seconds))"
                ] + perTick
                    + ["thread \(loop.threadID)"],
                width: area.width), style: .title)
        row += 1
        if row < bottom {
            let busyRatio = figures.busyRatio
            let ioRatio = min(busyRatio, Double(figures.ioBusy) / (figures.seconds * 1e9))
            let busyStyle: Style = busyRatio > 0.9 ? .warning : busyRatio > 0.6 ? .notice : .good
            drawBusy(
                busyRatio, style: busyStyle,
                parts: [
                    "\(Format.decimal(busyRatio * 100, digits: 0))% over \(Int(figures.seconds))s",
                    ": I/O \(Format.decimal(ioRatio * 100, digits: 0))%",
                    ", tasks \(Format.decimal((busyRatio - ioRatio) * 100, digits: 0))%"
                ], glyphs: glyphs, row: row, on: &canvas, area: area)
            row += 1
        }
        if row < bottom {
            let worst = loop.seconds.window(endingAt: nowSecond, count: sparkWidth).map {
                $0.map { Double($0.latency.max) }
            }
            let latency = figures.latency
            drawDelays(
                "turn", worst, latency, window: "(\(windowSeconds)s)", glyphs: glyphs, sparkWidth: sparkWidth, row: row,
                on: &canvas, area: area)
            row += 1
        }
        row += 1
    }

    /// Swift Concurrency's pool: its threads summed (busy is their mean), the scheduling delay of its jobs, the
    /// run queue and how many threads run jobs now, then each thread's busy share.
    private static func drawPool(
        _ runtime: RuntimeState, _ threads: [LoopState], glyphs: Glyphs, sparkWidth: Int, row: inout Int, bottom: Int,
        on canvas: inout some Canvas, area: Screen.Area
    ) {
        let nowSecond = runtime.nowNanoseconds / 1_000_000_000
        let figures = threads.map { runtime.window(of: $0, endingAt: nowSecond) }
        var latency = LatencyHistogram()
        for figure in figures { latency.add(figure.latency) }
        let jobs = figures.reduce(0.0) { $0 + Double($1.ticks) / $1.seconds }
        let events = figures.reduce(0.0) { $0 + Double($1.events) / $1.seconds }
        let busyRatio = figures.reduce(0.0) { $0 + $1.busyRatio } / Double(max(1, figures.count))
        let pool = runtime.pool
        let width = pool.width > 0 ? " (width \(pool.width))" : ""
        canvas.put(
            row: row, column: 0,
            TextWidth.pad(
                " Swift concurrency pool  \(threads.count) threads\(width)  jobs/s \(Format.count(jobs))  events/s "
                    + "\(Format.count(events))",
                to: area.width), style: .title)
        row += 1
        if row < bottom {
            let busyStyle: Style = busyRatio > 0.9 ? .warning : busyRatio > 0.6 ? .notice : .good
            let perThread = figures.map { Format.decimal($0.busyRatio * 100, digits: 0) + "%" }.joined(separator: " ")
            drawBusy(
                busyRatio, style: busyStyle,
                parts: [
                    "\(Format.decimal(busyRatio * 100, digits: 0))% over \(Int(figures.map(\.seconds).max() ?? 1))s",
                    "   threads \(perThread)"
                ], glyphs: glyphs, row: row, on: &canvas, area: area)
            row += 1
        }
        if row < bottom {
            let recent = threads.map { $0.seconds.window(endingAt: nowSecond, count: sparkWidth) }
            let worst = (0..<sparkWidth).map { index -> Double? in
                let seconds = recent.compactMap { index < $0.count ? $0[index] : nil }
                return seconds.isEmpty ? nil : Double(seconds.map(\.latency.max).max() ?? 0)
            }
            drawDelays(
                "delay", worst, latency, window: nil, glyphs: glyphs, sparkWidth: sparkWidth, row: row, on: &canvas,
                area: area)
            row += 1
        }
        if row < bottom {
            let others = pool.otherJobs.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                "\($0.value) \($0.key.label)"
            }
            canvas.put(
                row: row, column: 2,
                TextWidth.truncate(
                    "run queue \(max(0, pool.queued)) now, \(pool.maxQueued) max   running \(pool.running)"
                        + (pool.width > 0 ? " of \(pool.width)" : "")
                        + "   jobs \(pool.jobsRun)"
                        + (others.isEmpty ? "" : " (" + others.joined(separator: ", ") + ")"),
                    to: area.width - 3))
            row += 1
        }
        row += 1
    }
}
