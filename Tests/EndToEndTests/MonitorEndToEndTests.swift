import AsyncTopTestSupport
import AsyncTopTrace
import Foundation
import Testing

/// The real `asynctop` binary in tmux, attached to a region this test publishes and feeds.
@Suite(.serialized) struct MonitorEndToEndTests {
    /// A published region with a loop, tasks (one with a hostile name) and a warning, kept busy by a thread.
    final class FakeProducer: @unchecked Sendable {
        let directory: String
        let region: Region
        private let thread: Thread
        static let hostileName: [UInt8] = Array("evil\u{1B}]0;owned\u{07}\u{1B}[2Jname".utf8) + [0xFF]

        init() throws {
            directory = NSTemporaryDirectory() + "asynctop-e2e-" + UUID().uuidString
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let region = try Region.publish(processName: "e2e-producer", directory: directory)
            self.region = region
            thread = Thread {
                let tracer = region.makeTracer(loop: 0)
                tracer.emit(.loopStarted, loop: 0, id: 1)
                let names = ["fetch users", "render page", "send mail"].map { region.names.intern($0) }
                let hostile = region.names.intern(bytes: Self.hostileName)
                for id in 1...30 as ClosedRange<UInt64> {
                    tracer.emit(
                        .taskSpawned, loop: 0, name: id == 7 ? hostile : names[Int(id) % 3], id: id, arg: id > 3 ? 1 : 0
                    )
                    if id % 3 == 0 {
                        tracer.emit(.taskPollBegan, loop: 0, id: id)
                        tracer.emit(.taskPollEnded, loop: 0, id: id)
                    }
                }
                var turn: UInt64 = 0
                while !Thread.current.isCancelled {
                    tracer.emit(.tickBegan, loop: 0)
                    tracer.emit(.callbackBegan, loop: 0, name: names[0], id: turn)
                    usleep(turn % 50 == 0 ? 15_000 : 200)
                    tracer.emit(.callbackEnded, loop: 0, id: turn)
                    tracer.emit(.tickEnded, loop: 0, id: 1, arg: turn % 5)
                    usleep(5_000)
                    turn += 1
                }
            }
            thread.start()
        }

        func stop() {
            thread.cancel()
            usleep(20_000)
            region.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func driveEveryViewResizeAndQuit() throws {
        let producer = try FakeProducer()
        defer { producer.stop() }
        let tmux = try Tmux(
            "\(asynctopPath) attach \(producer.region.path!)", columns: 120, rows: 40, environment: ["LANG": "C.UTF-8"])
        var screen = try tmux.waitFor { $0.contains("loop 0") && $0.contains("warnings") }
        #expect(screen.contains("asynctop") && screen.contains("e2e-producer") && screen.contains("Overview"))

        try tmux.type("2")
        screen = try tmux.waitFor { $0.contains("fetch users") && $0.contains("STATE") }
        #expect(screen.contains("ID▲"))
        // The hostile name is shown escaped; its escape sequence never reaches the terminal.
        #expect(screen.contains("\\x1B]0;owned"))
        try tmux.type(">")
        screen = try tmux.waitFor { $0.contains("NAME▲") }
        #expect(screen.contains("NAME▲"))
        try tmux.type("i")
        screen = try tmux.waitFor { $0.contains("NAME▼") }
        #expect(screen.contains("NAME▼"))

        try tmux.type("/state:waiting")
        try tmux.send("Enter")
        screen = try tmux.waitFor { $0.contains("filter: state:waiting") }
        let rows = screen.split(separator: "\n").filter { $0.contains("waiting") && !$0.contains("filter") }
        #expect(rows.count == 10, "\(screen)")
        #expect(!screen.contains("ready "))

        try tmux.send("Enter")
        screen = try tmux.waitFor { $0.contains("poll time") }
        #expect(screen.contains("Task ") && screen.contains("recent events"))
        try tmux.send("Escape")
        screen = try tmux.waitFor { $0.contains("SPAWNED AT") }

        try tmux.type(" ")
        screen = try tmux.waitFor { $0.contains("FROZEN") }
        #expect(screen.contains("FROZEN"))
        try tmux.type(" ")
        screen = try tmux.waitFor { !$0.contains("FROZEN") }

        for (key, marker) in [("1", "busy"), ("4", "FIRES IN"), ("5", "CALL SITE"), ("6", "WHAT HAPPENED")] {
            try tmux.type(key)
            screen = try tmux.waitFor { $0.contains(marker) }
            #expect(screen.contains(marker), "view \(key): \(screen)")
        }
        #expect(screen.contains("blocking"))

        try tmux.type("?")
        screen = try tmux.waitFor { $0.contains("Keys") }
        #expect(screen.contains("freeze the display"))
        try tmux.type("x")

        try tmux.resize(columns: 40, rows: 12)
        screen = try tmux.waitFor { $0.contains("warn ") }
        #expect(screen.split(separator: "\n").allSatisfy { $0.count <= 40 })
        try tmux.resize(columns: 30, rows: 8)
        screen = try tmux.waitFor { $0.contains("needs 40x12") }
        #expect(screen.contains("asynctop needs 40x12"))
        try tmux.resize(columns: 120, rows: 40)
        screen = try tmux.waitFor { $0.contains("WHAT HAPPENED") }
        #expect(screen.contains("WHAT HAPPENED"))

        try tmux.type("q")
        #expect(tmux.exitStatus() == 0)
        let raw = tmux.raw
        #expect(!raw.isEmpty)
        #expect(raw.range(of: Data("\u{1B}]0;owned".utf8)) == nil)
        #expect(raw.range(of: Data("\u{1B}[2Jname".utf8)) == nil)
    }

    @Test func aProducerThatEndsLeavesItsLastStateWithABanner() throws {
        let producer = try FakeProducer()
        let tmux = try Tmux(
            "\(asynctopPath) attach \(producer.region.path!)", columns: 120, rows: 40, environment: ["LANG": "C.UTF-8"])
        try tmux.type("2")
        _ = try tmux.waitFor { $0.contains("fetch users") && $0.contains("STATE") }
        producer.stop()
        let screen = try tmux.waitFor { $0.contains("showing its last state") }
        #expect(screen.contains("process \(getpid()) closed its region"), "\(screen)")
        #expect(screen.contains("fetch users"), "the last state is still drawn: \(screen)")
        try tmux.type("1")
        let overview = try tmux.waitFor { $0.contains("loop 0") }
        #expect(
            overview.contains("loop 0  stopped") && !overview.contains("running"),
            "a loop whose producer ended: \(overview)")
        try tmux.type("q")
        #expect(tmux.exitStatus() == 0)
    }

    @Test func smallTerminalAndSignalsRestoreTheTerminal() throws {
        let producer = try FakeProducer()
        defer { producer.stop() }
        let tmux = try Tmux("\(asynctopPath) attach \(producer.region.path!) --ascii", columns: 40, rows: 12)
        var screen = try tmux.waitFor { $0.contains("loop 0") }
        #expect(screen.contains("asynctop"))
        #expect(!screen.unicodeScalars.contains { $0.value >= 0x80 }, "--ascii wrote a non-ASCII character: \(screen)")
        try tmux.type("2")
        screen = try tmux.waitFor { $0.contains("STATE") }
        #expect(screen.contains("ID^"))
        try tmux.send("C-c")
        #expect(tmux.exitStatus() == 0)
        // The alternate screen was left: the shell's screen is back.
        screen = try tmux.waitFor { !$0.contains("STATE") }
        #expect(!screen.contains("STATE"))
    }

    /// 16.15: a window grown while the monitor runs, then quit, leaves the whole window to the shell: the shell's
    /// next 40 lines scroll through all 40 rows (a scroll region left at the old 24 rows would keep 24 of them), and
    /// nothing of the monitor stays on screen.
    @Test func growingTheWindowThenQuittingLeavesTheWholeWindowToTheShell() throws {
        let producer = try FakeProducer()
        defer { producer.stop() }
        let tmux = try Tmux(
            "(\(asynctopPath) attach \(producer.region.path!); status=$?; seq 100 139; exit $status)", columns: 80,
            rows: 24, environment: ["LANG": "C.UTF-8"])
        _ = try tmux.waitFor { $0.contains("loop 0") && $0.contains("warnings") }
        try tmux.resize(columns: 120, rows: 40)
        let grown = try tmux.waitFor { $0.split(separator: "\n").contains { $0.count > 80 } && $0.contains("loop 0") }
        #expect(grown.split(separator: "\n").contains { $0.count > 80 }, "the monitor drew at 120 columns: \(grown)")
        try tmux.type("q")
        let shell = try tmux.waitFor { $0.contains("139") }
        #expect(tmux.exitStatus() == 0)
        let lines = shell.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let numbers = (101...139).map(String.init)
        #expect(numbers.allSatisfy(lines.contains), "the shell scrolled through every row: \(shell)")
        #expect(!shell.contains("loop 0") && !shell.contains("asynctop"), "nothing of the monitor is left: \(shell)")
    }

    @Test func aTerminalThatHangsUpEndsTheMonitor() throws {
        let producer = try FakeProducer()
        defer { producer.stop() }
        let path = producer.region.path!
        let tmux = try Tmux("\(asynctopPath) attach \(path)", columns: 80, rows: 24)
        _ = try tmux.waitFor { $0.contains("loop 0") }
        func monitorRunning() -> Bool {
            (try? ChildProcess.run("/usr/bin/pgrep", ["-f", "attach \(path)"]).status) == 0
        }
        #expect(monitorRunning())
        _ = try Tmux.run(["kill-session", "-t", tmux.session])
        let deadline = Date().addingTimeInterval(5)
        while monitorRunning(), Date() < deadline { usleep(100_000) }
        #expect(!monitorRunning(), "the monitor kept running without its terminal")
    }

    @Test func aTerminalThatCannotPlaceTextGetsAMessageNotABlankScreen() throws {
        let tmux = try Tmux(
            "TERM=dumb \(asynctopPath) demo hello-gather; echo EXIT=$?; sleep 5", columns: 120, rows: 12)
        let screen = try tmux.waitFor { $0.contains("EXIT=") }
        #expect(screen.contains("this terminal (TERM=dumb) cannot place text on the screen"), "\(screen)")
        #expect(screen.contains("EXIT=2"))
    }

    @Test func noTerminalMeansExitTwoAndNoEscapes() throws {
        let result = try ChildProcess.run(asynctopPath, ["demo", "hello-gather"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("asynctop record"))
        #expect(!result.stderr.contains("\u{1B}"))
    }

    @Test func aRecordingGivenToAttachOrEventsPointsToReplay() throws {
        let path = NSTemporaryDirectory() + "recording-\(UUID().uuidString).atrace"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorded = try ChildProcess.run(asynctopPath, ["demo", "hello-gather", "--record", path, "--duration", "1"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        for command in ["attach", "events"] {
            let result = try ChildProcess.run(asynctopPath, [command, path])
            #expect(
                result.status == 1
                    && result.stderr.contains("is a recording, not a live region: play it with `asynctop replay"),
                "\(command): \(result.stderr)")
        }
    }

    @Test func attachingToNothingSaysWhatToDo() throws {
        let result = try ChildProcess.run(asynctopPath, ["attach", "999999", "--directory", "/nonexistent"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("process 999999 publishes no asynctop region"))
    }
}
