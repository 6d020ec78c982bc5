import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopTrace
import AsyncTopUI
import Testing

/// The warnings view lists warnings grouped by kind, loop and subject with a count (×N), and `e` opens a group to
/// list its warnings under it (asked for in issue 16: blocking-callback raised 75 warnings in 30 s, five sites).
@Suite struct WarningGroupsTests {
    /// Five blocking callbacks at one site (30 ms, the third 40 ms), then one at another.
    static func trace() -> ScriptedTrace {
        var trace = ScriptedTrace()
        for index in 0..<6 {
            let at = Double(index) * 200
            let site = index < 5 ? "Blocking.swift:23" : "Other.swift:9"
            let length = index == 2 ? 40.0 : 30.0
            trace.at(at, .callbackEnqueued, loop: 1, id: UInt64(index))
            trace.at(at + 1, .callbackBegan, loop: 1, name: site, id: UInt64(index))
            trace.at(at + 1 + length, .callbackEnded, loop: 1, id: UInt64(index))
        }
        trace.advance(to: 1_500)
        return trace
    }

    static func lines(_ state: RuntimeState, _ monitor: inout MonitorState, columns: Int = 120) -> [String] {
        var canvas = MemoryCanvas(rows: 30, columns: columns)
        Screen.draw(state, &monitor, on: &canvas)
        return canvas.text.split(separator: "\n").map(String.init).filter { $0.contains("blocking") }
    }

    @Test func aGroupShowsItsCountAndOpensAndClosesOnE() throws {
        let trace = Self.trace()
        #expect(trace.state.warnings.filter { $0.kind == .blocking }.count == 6)
        var monitor = MonitorState(sourceLabel: "test")
        monitor.view = .warnings
        var rows = Self.lines(trace.state, &monitor)
        #expect(rows.count == 2, "\(rows)")
        #expect(rows[0].contains("Other.swift:9") && !rows[0].contains("×"), "the newest group first: \(rows)")
        #expect(rows[1].contains("Blocking.swift:23") && rows[1].contains("×5"), "\(rows)")
        // At 40 columns too the group shows its count (the time gives way first).
        var narrow = MonitorState(sourceLabel: "test")
        narrow.view = .warnings
        #expect(Self.lines(trace.state, &narrow, columns: 40).contains { $0.contains("×5") })
        // The group says its worst (the 40 ms one), not its latest.
        #expect(rows[1].contains("worst: callback blocked the loop for 40.0ms"), "\(rows)")

        _ = Keymap.handle(.down, &monitor, runtime: trace.state)
        _ = Self.lines(trace.state, &monitor)
        #expect(Keymap.handle(.character("e"), &monitor, runtime: trace.state))
        rows = Self.lines(trace.state, &monitor)
        #expect(rows.count == 7, "the group and its five warnings: \(rows)")
        #expect(rows[1].contains("▼ ×5") && rows[2...].allSatisfy { $0.contains("Blocking.swift:23") }, "\(rows)")
        #expect(
            rows[2...].map { $0.split(separator: " ")[0] } == ["00:00.8", "00:00.6", "00:00.4", "00:00.2", "00:00.0"])

        #expect(Keymap.handle(.character("e"), &monitor, runtime: trace.state))
        rows = Self.lines(trace.state, &monitor)
        #expect(rows.count == 2, "closed again: \(rows)")

        // Enter on the group opens the culprit of its latest warning: the call site, in the callbacks view.
        _ = Keymap.handle(.enter, &monitor, runtime: trace.state)
        #expect(monitor.view == .callbacks)
    }

    /// With warnings on several loops the LOOP column stays at 80 columns (the time goes first): without it, two
    /// groups of one kind and subject on two loops read as one row twice.
    @Test func warningsOnSeveralLoopsKeepTheLoopColumn() throws {
        var trace = ScriptedTrace()
        trace.callback(1, site: "Report.swift:9", at: 0, duration: 20, loop: 1)
        trace.callback(2, site: "Report.swift:9", at: 100, duration: 20, loop: 2)
        trace.advance(to: 200)
        let canvas = drawn(trace.state, view: .warnings, columns: 80, rows: 24)
        let header = try #require(canvas.lines.first { $0.contains("KIND") }, "\(canvas.text)")
        let firstTitle = header.split(separator: " ").first.map(String.init)
        #expect(header.contains("LOOP") && firstTitle == "KIND", "\(header)")
        var one = ScriptedTrace()
        one.callback(1, site: "Report.swift:9", at: 0, duration: 20, loop: 1)
        one.advance(to: 200)
        let single = try #require(
            drawn(one.state, view: .warnings, columns: 80, rows: 24).lines.first { $0.contains("KIND") })
        let singleFirst = single.split(separator: " ").first.map(String.init)
        #expect(singleFirst == "AT" && !single.contains("LOOP"), "one loop: the time stays, \(single)")
    }

    /// A line above the list says what it holds (the header counts every warning raised; the list keeps the latest)
    /// and, when the LOOP column has labels other than event loops' numbers, what they mean.
    @Test func theSummaryLineCountsTheListAndExplainsTheLoopLabels() throws {
        var trace = ScriptedTrace()
        trace.aggregator.warningLimit = 2
        for index in 0..<3 {
            trace.callback(UInt64(index), site: "Report.swift:9", at: Double(index) * 100, duration: 20)
        }
        trace.advance(to: 400)
        let loops = drawn(trace.state, view: .warnings, columns: 120, rows: 24).text
        #expect(
            loops.contains("the latest 2 of 3 warnings in 1 group, newest first") && !loops.contains("· LOOP"),
            "\(loops)")

        var pool = ScriptedTrace()
        let thread = ProducerKind.poolThreadBase
        pool.at(0, .taskSpawned, loop: thread, name: "report", id: 1)
        pool.at(1, .taskPollBegan, loop: thread, id: 1)
        pool.at(31, .taskPollEnded, loop: thread, id: 1)
        pool.advance(to: 100)
        let text = drawn(pool.state, view: .warnings, columns: 120, rows: 24).text
        #expect(text.contains("1 warning in 1 group, newest first · LOOP pool: Swift concurrency pool"), "\(text)")
        #expect(text.contains(" pool report") && !text.contains("pN:") && !text.contains("tN:"), "\(text)")
    }

    /// Warnings of the Swift Concurrency pool group as the pool's, whichever of its threads raised them (a late
    /// request's starved warnings came from the thread that handed it on or the one that polled it: pool-starvation
    /// read one problem as three groups); an opened group's rows say the thread, and the legend says what that is.
    @Test func thePoolsWarningsGroupWhicheverThreadRaisedThem() throws {
        var trace = ScriptedTrace()
        let (poolThread, handing) = (ProducerKind.poolThreadBase, ProducerKind.enqueuingThreadBase)
        for (index, thread) in [poolThread, poolThread + 1, handing + 1].enumerated() {
            let at = Double(index) * 100
            trace.at(at, .taskSpawned, loop: thread, name: "report", id: UInt64(index + 1))
            trace.at(at + 1, .taskPollBegan, loop: thread, id: UInt64(index + 1))
            trace.at(at + 31, .taskPollEnded, loop: thread, id: UInt64(index + 1))
        }
        trace.advance(to: 400)
        #expect(Set(trace.state.warnings.map(\.loop)).count == 3, "\(trace.state.warnings)")
        var monitor = MonitorState(sourceLabel: "test")
        monitor.view = .warnings
        var rows = Self.lines(trace.state, &monitor)
        #expect(rows.count == 1 && rows[0].contains("×3") && rows[0].contains(" pool report"), "\(rows)")
        _ = Self.lines(trace.state, &monitor)
        #expect(Keymap.handle(.character("e"), &monitor, runtime: trace.state))
        var canvas = MemoryCanvas(rows: 30, columns: 120)
        Screen.draw(trace.state, &monitor, on: &canvas)
        rows = canvas.text.split(separator: "\n").map(String.init).filter { $0.contains("blocking") }
        #expect(rows.count == 4, "the group and its three warnings: \(rows)")
        #expect(["t2", "p2", "p1"].allSatisfy { label in rows.contains { $0.contains(" \(label) report") } }, "\(rows)")
        #expect(
            canvas.text.contains(
                "LOOP pool: Swift concurrency pool, pN: its thread N, tN: a thread handing it tasks"),
            "\(canvas.text)")
    }
}
