import AsyncTopModel
import AsyncTopTrace

/// View 3: one task — its facts, poll-time and scheduled-wait histograms with percentiles, the spans it opened
/// (a server's requests, with the tracing bridge), and its recent events (its state history).
enum TaskDetailView {
    static func draw(
        _ runtime: RuntimeState, _ monitor: inout MonitorState, on canvas: inout some Canvas, area: Screen.Area
    ) {
        monitor.clearRows()
        guard let id = monitor.detailTaskID else { return }
        monitor.taskInHand = id
        var row = area.top
        let bottom = area.top + area.height
        guard let task = runtime.tasks[id] else {
            // Wrapped: at 40 columns the one line lost "Esc goes back".
            let text = "Task \(id) is gone (finished and past the retention time). Esc goes back."
            for part in Screen.wrap(text, width: canvas.columns - 2) where row < bottom {
                canvas.put(row: row, column: 1, part, style: .dim)
                row += 1
            }
            return
        }
        let now = runtime.nowNanoseconds
        func line(_ text: String, _ style: Style = .plain) {
            guard row < bottom else { return }
            canvas.put(row: row, column: 1, TextWidth.truncate(text, to: area.width - 2), style: style)
            row += 1
        }
        // Facts kept whole, in order, while they fit (a figure cut short reads as another); the spawn site takes the
        // room left, cut so that its file and line stay visible.
        func facts(_ parts: [String], site: String? = nil) -> String {
            let text = TextWidth.fitParts(parts, separator: "   ", to: area.width - 2)
            let room = area.width - 2 - TextWidth.of(text) - TextWidth.of("   spawned at ")
            guard let site, room >= 8 else { return text }
            return text + "   spawned at "
                + (TextWidth.isSourceLocation(site)
                    ? TextWidth.fitLocation(site, to: room) : TextWidth.truncate(site, to: room))
        }
        line("Task \(task.id)  \(runtime.name(of: task))", .title)
        line(
            facts(
                [
                    "state \(task.state.rawValue) for \(Format.duration(now - min(now, task.stateSinceNanoseconds)))",
                    "on \(ProducerKind.name(loop: task.loop))",
                    "parent " + (task.parent == 0 ? "-" : String(task.parent))
                ], site: runtime.site(of: task).isEmpty ? "-" : runtime.site(of: task)),
            TasksView.stateStyle(task.state))
        line(
            facts([
                "polls \(task.polls)", "wakes \(task.wakes)", "busy \(Format.duration(task.busyNanoseconds(now: now)))",
                "scheduled \(Format.duration(task.scheduledWaitNanoseconds(now: now)))",
                "idle \(Format.duration(task.idleNanoseconds(now: now)))",
                "total \(Format.duration(task.totalNanoseconds(now: now)))"
            ]))
        if let error = runtime.error(of: task) { line("error: \(error)", .warning) }
        row += 1
        let histogramWidth = (area.width - 3) / 2
        // Histograms only where 3 rows of each fit (a title and two bars): drawn past the area they covered the caption.
        let histogramHeight = min(10, (bottom - row) / 2)
        let detail = runtime.taskDetails[id]
        if histogramHeight >= 3 {
            drawHistogram(
                "poll time", detail?.pollTimes, glyphs: monitor.glyphs, on: &canvas, row: row, column: 1,
                width: histogramWidth, height: histogramHeight)
            drawHistogram(
                "scheduled wait", detail?.scheduledWaits, glyphs: monitor.glyphs, on: &canvas, row: row,
                column: 2 + histogramWidth, width: histogramWidth, height: histogramHeight)
            row += histogramHeight + 1
        }
        let spans = runtime.spans(of: id, limit: min(8, max(0, (bottom - row) / 2 - 1)))
        if !spans.isEmpty {
            line("spans (open first, then the latest ended)", .title)
            for span in spans {
                let state = span.endedNanoseconds == nil ? "open" : span.failed ? "failed" : "ok"
                let figures =
                    TextWidth.padLeft(Format.duration(span.durationNanoseconds(now: now)), to: 8) + "  "
                    + TextWidth.pad(state, to: 6)
                let nested = span.parent != 0 && runtime.openSpans[span.parent]?.task == id ? "    " : "  "
                line(figures + nested + runtime.text(span.nameID), span.failed ? .warning : .plain)
            }
            row += 1
        }
        line("recent events (newest last)", .title)
        let start = task.spawnedNanoseconds
        if detail == nil {
            line("not kept: more tasks than the detail budget were alive when it started", .dim)
        }
        for event in detail?.recentEvents.latest(bottom - row) ?? [] {
            line(
                "+\(Format.duration(event.atNanoseconds - min(event.atNanoseconds, start)))  \(event.kind)  → "
                    + "\(event.state.rawValue)"
            )
        }
    }

    /// A histogram as horizontal bars over doubling bins, with p50/p90/p99/max on its title line.
    static func drawHistogram(
        _ title: String, _ histogram: LatencyHistogram?, glyphs: Glyphs, on canvas: inout some Canvas, row: Int,
        column: Int, width: Int, height: Int
    ) {
        guard let histogram, histogram.count > 0 else {
            canvas.put(row: row, column: column, TextWidth.truncate("\(title): no samples", to: width), style: .dim)
            return
        }
        // The fullest header that fits: figures are dropped whole (p90 first, then p50, then p99), never cut.
        let figures =
            [("p50", 50.0), ("p90", 90.0), ("p99", 99.0)].map { ($0.0, Format.duration(histogram.percentile($0.1))) }
            + [("max", Format.duration(histogram.max))]
        let choices = [["p50", "p90", "p99", "max"], ["p50", "p99", "max"], ["p99", "max"], ["max"], []]
        let header =
            choices.lazy.map { kept in
                ([title] + figures.filter { kept.contains($0.0) }.map { "\($0.0) \($0.1)" }).joined(separator: "  ")
            }.first { TextWidth.of($0) <= width } ?? TextWidth.truncate(title, to: width)
        canvas.put(row: row, column: column, header, style: .title)
        guard height > 1 else { return }
        // Doubling bins from the power of two just under the minimum up to one holding the maximum.
        var lowest: UInt64 = 1_000
        while lowest * 2 <= histogram.min, lowest < 1 << 40 { lowest *= 2 }
        var needed = 1
        while lowest << UInt64(needed - 1) < histogram.max, needed < 40 { needed += 1 }
        let binCount = min(height - 1, needed)
        while lowest << UInt64(binCount - 1) < histogram.max, lowest < 1 << 40 { lowest *= 2 }
        let bins = histogram.logBins(from: lowest, count: binCount)
        let most = bins.map(\.count).max() ?? 1
        let labelWidth = 9
        let barWidth = max(1, width - labelWidth - 8)
        for (index, bin) in bins.enumerated() {
            let label = TextWidth.padLeft("≤" + Format.duration(bin.upTo), to: labelWidth - 1)
            let fraction = Double(bin.count) / Double(max(most, 1))
            let bar = String(repeating: glyphs.barFull, count: Int((fraction * Double(barWidth)).rounded()))
            canvas.put(
                row: row + 1 + index, column: column,
                glyphs.barFull == "#" ? label.replacingOccurrences(of: "≤", with: "<") : label, style: .dim)
            canvas.put(row: row + 1 + index, column: column + labelWidth, bar, style: .accent)
            canvas.put(
                row: row + 1 + index, column: column + labelWidth + TextWidth.of(bar) + 1, String(bin.count),
                style: .dim)
        }
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
