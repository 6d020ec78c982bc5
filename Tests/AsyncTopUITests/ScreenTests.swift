import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopUI
import Foundation
import Testing

/// Snapshot tests: every view drawn on the in-memory canvas at 120×40 and 40×12, compared with text files in
/// Snapshots/. Run with ASYNCTOP_RECORD_SNAPSHOTS=1 to write them anew (then read them before committing).
@Suite struct ScreenTests {
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Snapshots")

    func render(_ view: ViewID, rows: Int, columns: Int, configure: (inout MonitorState) -> Void = { _ in })
        -> MemoryCanvas
    {
        drawn(SampleRuntime.make().state, view: view, columns: columns, rows: rows, label: "demo sample") {
            $0.eventsPerSecond = 12_345
            $0.detailTaskID = 2
            configure(&$0)
        }
    }

    func assertSnapshot(_ canvas: MemoryCanvas, named name: String, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let file = Self.snapshots.appendingPathComponent(name + ".txt")
        if ProcessInfo.processInfo.environment["ASYNCTOP_RECORD_SNAPSHOTS"] != nil {
            try FileManager.default.createDirectory(at: Self.snapshots, withIntermediateDirectories: true)
            try (canvas.text + "\n").write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(canvas.text + "\n" == expected, "snapshot \(name) differs", sourceLocation: sourceLocation)
    }

    @Test func aCutLocationKeepsItsFileAndLine() {
        let location = "AsyncTopDemos/BlockingCallback.swift:23"
        #expect(TextWidth.fitLocation(location, to: 60) == location)
        #expect(TextWidth.fitLocation(location, to: 25) == "BlockingCallback.swift:23")
        #expect(TextWidth.fitLocation(location, to: 20) == "BlockingCallback:23")
        #expect(
            TextWidth.fitLocation(location, to: 10) == "Blocki…:23", "the start tells files apart; …tion:28 did not")
        #expect(TextWidth.isSourceLocation(location) && !TextWidth.isSourceLocation("deposit (1 ledger)"))
    }

    /// 16.11: footers fit; a hint that does not fit is left out whole (`? help` lists every key), never cut.
    @Test func aFooterKeepsItsHintsWholeAtEveryWidth() {
        let keys: [(key: String, help: String)] = [("space", "play / pause"), ("w", "next warning")]
        let hints = ["q quit", "? help", "1-6 views", "/ filter", "t tree", "←→ sort", "i invert", "space play / pause"]
        for columns in [40, 80, 120] {
            let footer = String(
                render(.tasks, rows: 24, columns: columns) { $0.extraKeys = keys }.text.split(separator: "\n").last
                    ?? "")
            #expect(!footer.contains("…"), "\(columns) columns: \(footer)")
            let words = footer.split(separator: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            #expect(words.allSatisfy { hints.contains($0) || $0 == "w next warning" }, "\(columns) columns: \(footer)")
            #expect(words.starts(with: ["q quit", "? help"]), "\(columns) columns: \(footer)")
        }
    }

    /// 16.11: the header keeps its figures whole: at 40 columns a long rate made "warn 30" read "warn 3".
    @Test func theHeaderDropsWholePartsNeverCutsAFigure() {
        var state = RuntimeState()
        state.totals.warningsByKind[.lateTimer] = 30
        state.totals.missed = 12_345
        for columns in [40, 60, 80, 120] {
            let canvas = drawn(state, columns: columns, rows: 24, label: "demo blocking-callback") {
                $0.eventsPerSecond = 335.3
                $0.frozen = state
            }
            let header = canvas.lines[0]
            #expect(header.contains("warn") && header.contains(" 30"), "\(columns) columns: \(header)")
            #expect(header.contains("12.3k") && header.contains("FROZEN"), "\(columns) columns: \(header)")
        }
    }

    /// 16.11: the task detail keeps its spawn site's file and line (80 columns read "spawned at AsyncTopDemos/Blocki…")
    /// and its facts whole.
    @Test func theTaskDetailKeepsItsSpawnSiteLineAndWholeFacts() throws {
        var trace = ScriptedTrace()
        trace.at(0, .taskSpawned, loop: 1, name: "request", id: 7)
        trace.at(0, .taskLocation, loop: 1, name: "AsyncTopDemos/BlockingCallback.swift:21", id: 7)
        trace.at(1, .taskPollBegan, loop: 1, id: 7)
        trace.at(2, .taskPollEnded, loop: 1, id: 7)
        trace.advance(to: 100)
        for columns in [120, 80] {
            let canvas = drawn(trace.state, view: .taskDetail, columns: columns, rows: 30) { $0.detailTaskID = 7 }
            let facts = try #require(canvas.lines.first { $0.contains("state ") }, "\(canvas.text)")
            #expect(
                facts.contains("spawned at ")
                    && (facts.contains("Callback.swift:21") || facts.contains("Blocki") && facts.contains("…:21")),
                "\(facts)")
            #expect(!facts.contains("…s") && !facts.hasSuffix("…"), "\(facts)")
        }
    }

    /// Help in a small window scrolls to every key and says how many are above and below (at 40x12 it showed 8 of
    /// 17, silently, then said how many it left out with no way to see them).
    @Test func helpInASmallWindowScrollsToEveryKey() {
        let runtime = SampleRuntime.make().state
        func help(afterDowns downs: Int) -> String {
            render(.overview, rows: 12, columns: 40) { monitor in
                _ = Keymap.handle(.character("?"), &monitor, runtime: runtime)
                for _ in 0..<downs { _ = Keymap.handle(.down, &monitor, runtime: runtime) }
            }.text
        }
        let top = help(afterDowns: 0)
        #expect(top.contains("↓") && top.contains("more") && !top.contains("above"), "\(top)")
        var seen = top
        for downs in 1...40 { seen += help(afterDowns: downs) }
        for entry in Keymap.help { #expect(seen.contains(entry.key), "\(entry.key) never shown") }
        let bottom = help(afterDowns: 60)  // past the end: clamped, the last key on its last line
        #expect(bottom.contains("q  Ctrl-C") && bottom.contains("above") && !bottom.contains("more"), "\(bottom)")
        #expect(help(afterDowns: 59) == bottom, "scrolling stops at the end")
        let full = render(.overview, rows: 40, columns: 120) { $0.showHelp = true }.text
        #expect(!full.contains("above") && !full.contains("more") && full.contains("quit"), "\(full)")
    }

    /// A task gone from the list says so whole at 40 columns, the way back included (it was cut after "past").
    @Test func aGoneTaskSaysHowToGoBackInANarrowWindow() {
        let text = render(.taskDetail, rows: 12, columns: 40) { $0.detailTaskID = 999 }.text
        #expect(text.contains("Task 999 is gone") && text.contains("Esc goes back."), "\(text)")
    }

    /// A caption too long for its panel says how much is left out (at 80x24 four demos lost their last sentences
    /// with no sign, blank rows above), and its title wraps within the window.
    @Test func aCaptionCutShortSaysSo() {
        let caption = Caption(
            title: "microtask-starvation: microtasks that re-enqueue themselves starve timers and I/O",
            lines: (1...6).map { "Line \($0) of the caption, long enough to wrap once or twice at forty columns." })
        let small = render(.overview, rows: 12, columns: 40) { $0.caption = caption }
        #expect(small.text.contains("more lines in a bigger window"), "\(small.text)")
        #expect(small.lines.allSatisfy { TextWidth.of($0) <= 40 })
        let big = render(.overview, rows: 40, columns: 120) { $0.caption = caption }.text
        #expect(!big.contains("more lines") && big.contains("Line 6 of the caption"), "\(big)")
    }

    /// Tree mode says so without covering a column's title (TOTAL lost its title at 80 columns, BUSY at 40).
    @Test func treeModeKeepsEveryColumnTitle() throws {
        for (columns, last) in [(80, "TOTAL"), (40, "BUSY")] {
            let canvas = render(.tasks, rows: 24, columns: columns) { $0.treeMode = true }
            let header = try #require(canvas.lines.first { $0.contains("STATE") }, "\(canvas.text)")
            #expect(header.contains("(tree)") && header.contains(last), "\(columns): \(header)")
        }
    }

    /// Every loop is on a small Overview (at 40x12 multi-loop's second loop was neither shown nor mentioned).
    @Test func aSmallOverviewShowsEveryLoop() {
        let text = render(.overview, rows: 12, columns: 40).text
        #expect(text.contains("loop 0") && text.contains("loop 1"), "\(text)")
    }

    /// In step mode a narrow footer offers step mode's keys first (at 40 columns it kept "q quit" and lost how to
    /// resume), and the step panel wraps its first line; the task filter is mentioned only where it applies.
    @Test func stepModeKeysComeFirstAndTheFilterShowsOnlyWithTasks() throws {
        let stepping = render(.overview, rows: 12, columns: 40) {
            $0.extraKeys = [("n", "run one item"), ("Esc", "resume the loop")]
            $0.stepReport = ["loop held between items — n runs exactly one, Esc resumes", "no item stepped yet"]
        }
        let footer = try #require(stepping.lines.last)
        #expect(footer.hasPrefix(" n run one item  Esc resume the loop"), "\(footer)")
        #expect(stepping.text.contains("Esc resumes"), "\(stepping.text)")
        let warnings = render(.warnings, rows: 24, columns: 120) { $0.taskFilter = "request" }
        #expect(!(warnings.lines.last ?? "").contains("filter:"), "\(warnings.text)")
        let tasks = render(.tasks, rows: 24, columns: 120) { $0.taskFilter = "request" }
        #expect((tasks.lines.last ?? "").contains("filter: request"), "\(tasks.text)")
    }

    /// The counters' title is drawn only with room for a line under it: at some heights it stood over "… and 1 more"
    /// and no counter.
    @Test func countersNeverShowATitleOverNothing() {
        for rows in 12...24 {
            let lines = render(.overview, rows: rows, columns: 80).lines
            guard let title = lines.firstIndex(where: { $0.hasPrefix(" counters") }) else { continue }
            #expect(!lines[title + 1].contains("… and"), "\(rows) rows: \(lines.joined(separator: "\n"))")
        }
    }

    @Test func anyOtherKeyClosesTheHelp() {
        let runtime = SampleRuntime.make().state
        var monitor = MonitorState(sourceLabel: "demo sample")
        _ = Keymap.handle(.character("?"), &monitor, runtime: runtime)
        _ = Keymap.handle(.down, &monitor, runtime: runtime)
        #expect(monitor.showHelp)
        _ = Keymap.handle(.character("x"), &monitor, runtime: runtime)
        #expect(!monitor.showHelp && !monitor.quitRequested)
    }

    @Test func aFeedsOwnKeyReplacesTheMonitorsInFooterAndHelp() {
        let keys: [(key: String, help: String)] = [("space", "play / pause"), ("w", "next warning")]
        let footer =
            render(.overview, rows: 40, columns: 160) { $0.extraKeys = keys }.text.split(separator: "\n").last ?? ""
        #expect(footer.contains("space play / pause") && !footer.contains("space freeze"), "\(footer)")
        let help = render(.overview, rows: 40, columns: 120) {
            $0.extraKeys = keys
            $0.showHelp = true
        }.text
        #expect(help.contains("play / pause") && !help.contains("freeze the display"), "space listed once: \(help)")
    }

    @Test func aCutLineKeepsItsFiguresWhole() {
        let detail = "201ms turn during GET /block-loop (14 tasks)"
        #expect(TextWidth.fitWords(detail, to: 60) == detail)
        #expect(TextWidth.fitWords(detail, to: 42) == "201ms turn during GET /block-loop…", "not (14 tas…")
        #expect(TextWidth.fitWords("p50 1ns  p99 15.0ms  max 210ms", to: 20) == "p50 1ns p99 15.0ms…")
        #expect(TextWidth.fitWords(detail, to: 4) == "201…", "a first word too wide is cut")
        // A sentence's one figure stays when the words before it are cut (16.11: view 6 at 80 columns read
        // "callback blocked the…", its 200ms lost).
        let blocked = "callback blocked the loop for 200ms"
        #expect(TextWidth.fitWords(blocked, to: 24) == "callback blocked… 200ms")
        #expect(TextWidth.fitWords(blocked, to: 8) == "… 200ms")
        #expect(TextWidth.fitWords("fired 50.4ms late", to: 13) == "fired 50.4ms…")
    }

    @Test(arguments: ViewID.allCases)
    func everyViewAtFullSize(_ view: ViewID) throws {
        try assertSnapshot(render(view, rows: 40, columns: 120), named: "\(view.title.lowercased())-120x40")
    }

    @Test(arguments: ViewID.allCases)
    func everyViewAtMinimumSize(_ view: ViewID) throws {
        let canvas = render(view, rows: 12, columns: 40)
        try assertSnapshot(canvas, named: "\(view.title.lowercased())-40x12")
        #expect(canvas.lines[0].contains("asynctop"))
    }

    @Test func headerShowsSourceRateMissedAndWarnings() {
        let text = render(.overview, rows: 40, columns: 120).lines[0]
        #expect(text.contains("demo sample"))
        #expect(text.contains("12.3k ev/s"))
        #expect(text.contains("missed 0"))
        #expect(text.contains("warnings 6"))
    }

    @Test func tooSmallTerminalGetsOneLine() {
        let canvas = render(.tasks, rows: 8, columns: 30)
        #expect(canvas.lines[0].hasPrefix("asynctop needs 40x12; this is"))
        #expect(canvas.lines.dropFirst().allSatisfy { $0.allSatisfy { $0 == " " } })
    }

    @Test func tasksSortFilterAndTree() {
        let byBusy = render(.tasks, rows: 40, columns: 120) {
            $0.taskSort = .busy
            $0.sortDescending = true
        }
        #expect(byBusy.lines[4].contains("connection-7"), "the first row, under the line saying what the list holds")
        let ready = render(.tasks, rows: 40, columns: 120) { $0.taskFilter = "state:ready" }.text
        #expect(ready.contains("connection-7") && ready.contains("report") && !ready.contains("accept-loop"))
        let named = render(.tasks, rows: 40, columns: 120) { $0.taskFilter = "name:conn" }.text
        #expect(named.contains("connection-7") && !named.contains("flush"))
        let tree = render(.tasks, rows: 40, columns: 120) { $0.treeMode = true }
        let accept = tree.lines.firstIndex { $0.contains("accept-loop") }!
        #expect(tree.lines[accept + 1].contains("├─ connection-7"))
        #expect(tree.lines[accept + 2].contains("└─ flush"))
    }

    @Test func asciiModeDrawsNoUnicodeGlyphs() {
        let canvas = render(.overview, rows: 40, columns: 120) { $0.glyphs = .ascii }
        let glyphs = Set("▁▂▃▄▅▆▇█░├└│▲▼─")
        #expect(!canvas.text.contains { glyphs.contains($0) })
    }

    @Test func frozenDisplayKeepsItsState() {
        var trace = SampleRuntime.make()
        var monitor = MonitorState(sourceLabel: "x")
        monitor.view = .tasks
        _ = Keymap.handle(.character(" "), &monitor, runtime: trace.state)
        trace.at(3001, .taskSpawned, name: "late-arrival", id: 99)
        var canvas = MemoryCanvas(rows: 40, columns: 120)
        Screen.draw(trace.state, &monitor, on: &canvas)
        #expect(!canvas.text.contains("late-arrival") && canvas.lines[0].contains("FROZEN"))
        _ = Keymap.handle(.character(" "), &monitor, runtime: trace.state)
        Screen.draw(trace.state, &monitor, on: &canvas)
        #expect(canvas.text.contains("late-arrival"))
    }

    @Test func enterOnAWarningJumpsToItsCulprit() {
        let state = SampleRuntime.make().state
        var monitor = MonitorState(sourceLabel: "x")
        monitor.view = .warnings
        var canvas = MemoryCanvas(rows: 40, columns: 120)
        Screen.draw(state, &monitor, on: &canvas)
        let upload = monitor.firstShownRow + monitor.shownTargets.firstIndex { $0 == .task(4) }!
        monitor.selectedRow[.warnings] = upload
        _ = Keymap.handle(.enter, &monitor, runtime: state)
        #expect(monitor.view == .taskDetail && monitor.detailTaskID == 4)
        _ = Keymap.handle(.escape, &monitor, runtime: state)
        #expect(monitor.view == .warnings)
        let blocking = monitor.firstShownRow + monitor.shownTargets.firstIndex { $0 == .callSite("Server.swift:42") }!
        monitor.selectedRow[.warnings] = blocking
        _ = Keymap.handle(.enter, &monitor, runtime: state)
        Screen.draw(state, &monitor, on: &canvas)
        #expect(monitor.view == .callbacks)
        #expect(canvas.lines[3 + monitor.selection(.callbacks)].contains("Server.swift:42"))
    }

    @Test func hostileNamesNeverReachTheCanvasAsControls() {
        var trace = ScriptedTrace()
        let hostile = trace.names.id(bytes: Array("\u{1B}]0;owned\u{07}\u{1B}[2J".utf8) + [0xC3, 0x28, 0x9B])
        trace.aggregator.ingest(.init(time: 0, kind: .taskSpawned, loop: 0, name: hostile, id: 1), names: trace.names)
        var monitor = MonitorState(sourceLabel: "\u{1B}[31mlabel")
        monitor.view = .tasks
        var canvas = MemoryCanvas(rows: 20, columns: 100)
        Screen.draw(trace.state, &monitor, on: &canvas)
        #expect(
            !canvas.text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) })
        #expect(canvas.text.contains("\\x1B]0;owned"))
    }
}
