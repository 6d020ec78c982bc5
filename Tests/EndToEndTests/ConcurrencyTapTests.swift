import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopTrace
import Foundation
import Testing

/// The concurrency tap on a real program (`asynctop-concurrency-sample`: a TaskGroup fan-out of named tasks, a
/// chain of awaits, an actor, a blocking call) on Swift's own global executor, traced by the one-line call and
/// by `asynctop record -- CMD` (preloaded); what it records is checked against the vocabulary's documented
/// meanings (the tap's conformance test) and against what the program did.
@Suite(.serialized) struct ConcurrencyTapTests {
    static let buildDirectory = URL(fileURLWithPath: asynctopPath).deletingLastPathComponent().path
    static let samplePath = buildDirectory + "/asynctop-concurrency-sample"
    /// The sample's source, for the lines its spawn sites must name.
    static let sampleSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("ConcurrencySample/main.swift").path

    /// A recording read back: every event with the ring it came from, names, and the model's final state.
    struct Recording {
        var events: [(event: TraceEvent, ring: RingIdentity)] = []
        var names: [NameID: String] = [:]
        var state: RuntimeState
        var calibration: ClockCalibration

        init(path: String) throws {
            let reader = try TraceFileReader(path: path)
            calibration = reader.info.calibration
            var buffer: [TraceEvent] = []
            for chunk in reader.chunks {
                buffer.removeAll()
                try reader.events(of: chunk, into: &buffer)
                let ring = reader.ring(of: chunk)
                events += buffer.map { ($0, ring) }
            }
            for (id, bytes) in reader.names.all() { names[id] = String(decoding: bytes, as: UTF8.self) }
            state = TraceReplay(reader: reader).finalState
        }

        func name(_ id: NameID) -> String { names[id] ?? "" }
        func of(_ kind: EventKind) -> [(event: TraceEvent, ring: RingIdentity)] {
            events.filter { $0.event.kind == kind }
        }
    }

    static func temporaryFile(_ suffix: String) -> String {
        NSTemporaryDirectory() + "asynctop-tap-\(UUID().uuidString).\(suffix)"
    }

    /// `asynctop record -o F -- sample ARGS`: the tap preloaded into the untraced sample.
    static func recordPreloaded(_ arguments: [String]) throws -> (status: Int32, output: String, recording: Recording?)
    {
        let path = temporaryFile("atrace")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try ChildProcess.run(
            asynctopPath, ["record", "-o", path, "--", samplePath, "--untraced"] + arguments)
        let recording = FileManager.default.fileExists(atPath: path) ? try Recording(path: path) : nil
        return (result.status, result.stdout + result.stderr, recording)
    }

    /// The sample tracing itself (the one-line call), recorded by `asynctop record --pid` from its start; with
    /// `switchingRegion`, the second region it switches to (`--switch-region`) is the one recorded.
    static func recordOneLine(_ arguments: [String], switchingRegion: Bool = false) throws -> (
        output: String, recording: Recording
    ) {
        let directory = temporaryFile("dir")
        let recorded = switchingRegion ? temporaryFile("dir") : directory
        for made in [directory, recorded, recorded + "/asynctop"] {
            try FileManager.default.createDirectory(
                atPath: made, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        defer { for made in Set([directory, recorded]) { try? FileManager.default.removeItem(atPath: made) } }
        let sample = try ChildProcess(
            samplePath, arguments + (switchingRegion ? ["--switch-region", recorded + "/asynctop"] : []),
            environment: ["XDG_RUNTIME_DIR": directory])
        let region = recorded + "/asynctop/\(sample.pid).region"
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: region), Date() < deadline { usleep(2_000) }
        let path = temporaryFile("atrace")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try ChildProcess.run(
            asynctopPath, ["record", "-o", path, "--pid", String(sample.pid)],
            environment: ["XDG_RUNTIME_DIR": recorded])
        #expect(recorder.status == 0, "\(recorder.stderr)")
        #expect(sample.wait() == 0, "\(sample.stderr)")
        return (sample.stdout, try Recording(path: path))
    }

    /// The line of the sample's source that contains `text` (1-based).
    static func sampleLine(containing text: String) throws -> Int {
        let lines = try String(contentsOfFile: sampleSource, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        return try #require(lines.firstIndex { $0.contains(text) }) + 1
    }

    /// Each kind the tap writes, checked against the meaning `EventKind` documents for it, and against the program.
    static func checkConformance(_ recording: Recording) throws {
        let priorities: Set<UInt64> = [0x09, 0x11, 0x15, 0x19, 0x21]
        // loop_started: one per ring, first on it, id = the ring's thread.
        for ring in Set(recording.events.map { $0.ring.index }) {
            let first = try #require(recording.events.first { $0.ring.index == ring })
            #expect(first.event.kind == .loopStarted && first.event.id == first.ring.threadID, "\(first)")
            #expect(ProducerKind(loop: first.event.loop) != .eventLoop)
        }
        // task_spawned: name = the task's name, arg = parent.
        let spawns = recording.of(.taskSpawned)
        let byName = Dictionary(grouping: spawns, by: { recording.name($0.event.name) })
        let mainTask = try #require(byName["sample main"]?.first).event.id
        for index in 0..<8 { #expect(byName["worker \(index)"] != nil, "worker \(index) was not seen spawned") }
        for index in 0..<16 { #expect(byName["increment \(index)"] != nil) }
        for name in ["chain", "blocker"] { #expect(byName[name] != nil) }
        for worker in spawns where recording.name(worker.event.name).hasPrefix("worker ") {
            #expect(worker.event.arg == mainTask, "a group child's parent is the task that made the group")
        }
        let workerSite = "main.swift:\(try sampleLine(containing: "group.addTask(name: \"worker"))"
        let blockerSite = "main.swift:\(try sampleLine(containing: "Task(name: \"blocker\")"))"
        // task_location: one per spawned task, at or after its spawn (a new call path is named off the creating
        // thread, so its first tasks' locations come later, from another ring).
        let locations = Dictionary(grouping: recording.of(.taskLocation), by: { $0.event.id })
        for spawn in spawns {
            let found = try #require(locations[spawn.event.id], "no location for task \(spawn.event.id)")
            #expect(found.count == 1 && found[0].event.time >= spawn.event.time)
            let name = recording.name(spawn.event.name)
            if name.hasPrefix("worker ") { #expect(recording.name(found[0].event.name) == workerSite) }
            if name == "blocker" { #expect(recording.name(found[0].event.name) == blockerSite) }
        }
        // job_enqueued: id = task id (0 for others), arg = priority | kind << 8.
        for entry in recording.of(.jobEnqueued) {
            let kind = JobKind(rawValue: UInt8(truncatingIfNeeded: entry.event.arg >> 8))
            #expect(kind != nil && priorities.contains(entry.event.arg & 0xFF), "\(entry.event)")
            #expect((kind == .task) == (entry.event.id != 0))
        }
        // Polls and other jobs: on pool threads only, each begun one ended on the same ring before the next
        // begins, its scheduling delay (arg) under ten seconds.
        var open: [Int: TraceEvent] = [:]
        let tenSeconds = UInt64(10e9 / recording.calibration.nanosecondsPerTick)
        for entry in recording.events {
            let event = entry.event
            switch event.kind {
            case .taskPollBegan, .jobBegan:
                #expect(ProducerKind(loop: event.loop) == .poolThread)
                #expect(open[entry.ring.index] == nil, "a job began while another ran on the same thread")
                #expect(event.arg < tenSeconds, "scheduling delay \(event.arg) ticks")
                if event.kind == .jobBegan {
                    let kind = try #require(JobKind(rawValue: UInt8(truncatingIfNeeded: event.id)))
                    #expect(kind != .task && recording.name(event.name) == kind.label)
                }
                open[entry.ring.index] = event
            case .taskPollEnded, .jobEnded:
                let removed = open.removeValue(forKey: entry.ring.index)
                let began = try #require(removed, "an end without a beginning")
                #expect(began.id == event.id && (began.kind == .taskPollBegan) == (event.kind == .taskPollEnded))
            default:
                break
            }
        }
        // Every task spawned ended exactly once, completed (the sample throws nothing and cancels nothing).
        let ends = recording.events.filter { [.taskCompleted, .taskFailed, .taskCancelled].contains($0.event.kind) }
        #expect(Dictionary(grouping: ends, by: { $0.event.id }).values.allSatisfy { $0.count == 1 })
        #expect(Set(ends.map { $0.event.id }) == Set(spawns.map { $0.event.id }))
        #expect(ends.allSatisfy { $0.event.kind == .taskCompleted })
    }

    /// What the model makes of it: named tasks done with their polls, the pool's jobs balanced, and the blocking
    /// call named with the thread it held.
    static func checkModel(_ recording: Recording) {
        let state = recording.state
        let tasks = state.tasks.values
        #expect(tasks.contains { state.name(of: $0) == "worker 3" && $0.state == .done && $0.polls >= 5 })
        #expect(tasks.contains { state.name(of: $0) == "blocker" && $0.busyNanoseconds >= 140_000_000 })
        #expect(
            state.warnings.contains {
                $0.kind == .blocking && $0.subject == "blocker" && $0.detail.hasPrefix("15")
                    && $0.detail.hasSuffix("ms holding a pool thread")
            })
        #expect(!state.warnings.contains { $0.kind == .blocking && $0.subject.hasPrefix("worker") })
        #expect(state.pool.jobsEnqueued == state.pool.jobsRun && state.pool.jobsRun > 0)
        #expect(state.pool.width == ProcessInfo.processInfo.activeProcessorCount)
        #expect(state.totals.tasksSpawned == state.totals.tasksCompleted && state.totals.liveTasks == 0)
    }

    @Test func theOneLineCallTracesTheProgram() throws {
        let (output, recording) = try Self.recordOneLine(["--seconds", "1"])
        #expect(output.contains("counter 16000"))
        try Self.checkConformance(recording)
        Self.checkModel(recording)
    }

    @Test func preloadedByRecordTheUnmodifiedProgramIsTraced() throws {
        let (status, output, recording) = try Self.recordPreloaded(["--seconds", "1"])
        #expect(status == 0, "\(output)")
        let traced = try #require(recording)
        try Self.checkConformance(traced)
        Self.checkModel(traced)
    }

    @Test func aHookSetBeforeTheTapKeepsWorkingAndTheProgramIsStillTraced() throws {
        let (output, recording) = try Self.recordOneLine(["--own-hook"])
        #expect(output.contains("chained to it"))
        let seen = try #require(output.split(separator: "\n").first { $0.hasPrefix("own hook saw") })
        #expect((Int(seen.split(separator: " ")[3]) ?? 0) > 0, "the program's own hook saw no jobs")
        try Self.checkConformance(recording)
        #expect(recording.state.totals.tasksCompleted > 0)
    }

    /// A thread whose first event in a region only enqueued or emitted (here: the one that pointed the tap at a new
    /// region, as the demo tour does) and that then runs a job writes from then on as a pool thread.
    @Test func aThreadThatFirstOnlyEmittedWritesItsJobsAsAPoolThread() throws {
        let (output, recording) = try Self.recordOneLine(["--seconds", "1"], switchingRegion: true)
        #expect(output.contains("counter 16000"))
        let switched = try #require(
            recording.of(.counter).first { recording.name($0.event.name) == "sample.switched" })
        #expect(ProducerKind(loop: switched.event.loop) == .enqueuingThread)
        let main = try #require(recording.of(.taskSpawned).first { recording.name($0.event.name) == "sample main" })
        #expect(ProducerKind(loop: main.event.loop) == .poolThread, "the spawn was written inside the switcher's job")
        #expect(main.ring.threadID == switched.ring.threadID && main.ring.index != switched.ring.index)
        let runs = recording.events.filter { [.taskPollBegan, .jobBegan].contains($0.event.kind) }
        #expect(!runs.isEmpty && runs.allSatisfy { ProducerKind(loop: $0.event.loop) == .poolThread })
        #expect(recording.state.totals.tasksCompleted > 0)
    }

    /// `asynctop demo NAME --record F`: a demo on the real global executor, recorded by the binary, read back.
    static func recordDemo(_ name: String, seconds: Int) throws -> Recording {
        let path = temporaryFile("atrace")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try ChildProcess.run(asynctopPath, ["demo", name, "--record", path, "--duration", String(seconds)])
        #expect(result.status == 0, "\(result.stderr)")
        return try Recording(path: path)
    }

    @Test func poolStarvationDemoBlocksThePoolAndIsWarned() throws {
        let state = try Self.recordDemo("pool-starvation", seconds: 5).state
        let held = state.warnings.filter { $0.kind == .blocking && $0.subject == "report (usleep)" }
        #expect(
            held.count >= 4
                && held.allSatisfy { $0.detail.hasPrefix("50") && $0.detail.hasSuffix("ms holding a pool thread") },
            "\(held)")
        #expect(state.warnings.contains { $0.kind == .poolSaturated }, "\(state.warnings.map(\.kind))")
        #expect(state.warnings.contains { $0.kind == .starved && $0.subject == "request" })
        let delays = state.loops.values.filter { ProducerKind(loop: $0.id) == .poolThread }.map { $0.latency.max }
        #expect((delays.max() ?? 0) >= 400_000_000, "requests waited for the reports' threads")
    }

    @Test func actorContentionDemoSerialisesOnOneActor() throws {
        let state = try Self.recordDemo("actor-contention", seconds: 3).state
        #expect((state.pool.otherJobs[.actorDrain] ?? 0) + (state.pool.otherJobs[.actorDrainSeparate] ?? 0) > 100)
        // 40 deposits of 5 × 0.3 ms on one actor: a round takes at least its 60 ms of work, one call at a time.
        #expect((state.counterPeaks["deposits.round_ms"] ?? 0) >= 55, "\(state.counters)")
        #expect(state.tasks.values.contains { state.name(of: $0) == "deposit (1 ledger)" })
    }

    @Test func badInputIsRefusedClearlyAndTheChildStatusIsPassedOn() throws {
        let script = Self.temporaryFile("sh")
        try "#!/bin/sh\nexit 0\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let plain = Self.temporaryFile("txt")
        try "not a program".write(toFile: plain, atomically: true, encoding: .utf8)
        chmod(plain, 0o644)
        // A Swift program built with -static-stdlib: its runtime is inside it, where no preloaded library reaches.
        let source = Self.temporaryFile("swift")
        let staticProgram = Self.temporaryFile("static")
        try "print(1)\n".write(toFile: source, atomically: true, encoding: .utf8)
        let compiled = try ChildProcess.run("/usr/bin/env", ["swiftc", "-static-stdlib", source, "-o", staticProgram])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        defer {
            for path in [script, plain, source, staticProgram] { try? FileManager.default.removeItem(atPath: path) }
        }
        let cases: [(arguments: [String], status: Int32, message: String)] = [
            (["run", "--", "/bin/true"], 2, "is not a Swift program"),
            (["run", "--", "no-such-program-here"], 2, "no such program"),
            (["run", "--", script], 2, "is not an ELF executable"),
            (["run", "--", plain], 2, "is not an executable file"),
            (["run", "--", staticProgram], 2, "was built with -static-stdlib"),
            (["run"], 64, "give the program to run"),
            (["record", "-o", Self.temporaryFile("atrace"), "--", "/bin/true"], 2, "is not a Swift program"),
            (["record", "-o", Self.temporaryFile("atrace"), "--", Self.samplePath, "--untraced", "--exit", "7"], 7, "")
        ]
        for item in cases {
            let result = try ChildProcess.run(asynctopPath, item.arguments)
            #expect(result.status == item.status, "\(item.arguments): \(result.stderr)")
            #expect(item.message.isEmpty || result.stderr.contains(item.message), "\(item.arguments): \(result.stderr)")
        }
    }

    @Test func theMonitorOnARunProgramShowsThePoolTasksAndWarnings() throws {
        let log = Self.temporaryFile("log")
        defer { try? FileManager.default.removeItem(atPath: log) }
        let tmux = try Tmux(
            "\(asynctopPath) run --log \(log) -- \(Self.samplePath) --untraced --seconds 4", columns: 120, rows: 40,
            environment: ["LANG": "C.UTF-8"])
        var screen = try tmux.waitFor { $0.contains("Swift concurrency pool") && $0.contains("run queue") }
        #expect(screen.contains("asynctop-concurrency-sample") && screen.contains("threads (width"), "\(screen)")
        try tmux.type("2")
        screen = try tmux.waitFor { $0.contains("worker 7") && $0.contains("main.swift:") }
        #expect(screen.contains("SPAWNED AT") && screen.contains("sample main"), "\(screen)")
        try tmux.type("6")
        screen = try tmux.waitFor { $0.contains("blocker") && $0.contains("holding a pool thread") }
        #expect(screen.contains("blocking"), "\(screen)")
        usleep(4_000_000)  // the program ends on its own; the monitor stays on its last state
        try tmux.type("q")
        #expect(tmux.exitStatus() == 0)
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("counter 16000"))
    }
}
