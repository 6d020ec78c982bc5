import ArgumentParser
import AsyncTopTestSupport
import AsyncTopTrace
import Foundation

/// `asynctop-bench load`: nothing lost without a count, end to end. This process publishes a region in a directory
/// of its own and emits numbered events into one ring at `--events-per-second` for `--seconds`, knowing exactly how
/// many. The real `asynctop record --pid` records it, and two `asynctop events --raw` (the attach path, printing
/// every event; output to /dev/null) read it at the same time. When the producer closes its region, each reader
/// ends and says what it got.
///
/// - `unaccounted_events`: over the three readers, emitted − delivered − missed − (written before it came): must
///   be 0. The recorder's figures are its file's (`asynctop stats --json`: events and the losses it wrote).
/// - `recorder_missed`: events the recorder lost (rings overwritten before it read them); the bar is 0.
/// - `reader_missed_max`: the most a printing reader lost (counted, so it still adds up).
/// - `events_per_s`: emitted / producing time.
struct LoadBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "A producer at 2M events/s, recorded and read twice: emitted = delivered + missed for every reader.")

    @OptionGroup var options: ReportOptions

    @Option(help: "Seconds of producing.")
    var seconds = 60.0

    @Option(help: "Events per second the producer emits.")
    var eventsPerSecond = 2_000_000.0

    @OptionGroup var binary: AsynctopBinary

    func run() throws {
        let directory = NSTemporaryDirectory() + "asynctop-bench-load-\(getpid())"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let region = try Region.publish(processName: "load", directory: directory)
        let recording = directory + "/load.atrace"
        let asynctop = binary.absolutePath
        let recorder = try ChildProcess(
            asynctop, ["record", "--pid", "\(getpid())", "--directory", directory, "-o", recording])
        let readers = try (0..<2).map { _ in
            try ChildProcess(
                "/bin/sh", ["-c", "exec \"$0\" events --raw \"$1\" > /dev/null", asynctop, region.path ?? ""])
        }
        sleep(1)  // the readers attach before the first event

        let tracer = region.makeTracer(loop: 1)
        var emitted: UInt64 = 0
        let start = TraceClock.monotonicNanoseconds()
        let end = start + UInt64(seconds * 1e9)
        while true {
            let now = TraceClock.monotonicNanoseconds()
            let due = UInt64(Double(min(now, end) - start) * eventsPerSecond / 1e9)
            while emitted < due {
                tracer.emit(.mark, loop: 1, id: emitted)
                emitted += 1
            }
            if now >= end { break }
            usleep(200)
        }
        let producing = Double(TraceClock.monotonicNanoseconds() - start) / 1e9
        region.close()

        recorder.wait()
        let stats = try ChildProcess.run(asynctop, ["stats", recording, "--json"])
        let summary = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any] ?? [:]
        let recorded = (summary["events"] as? NSNumber)?.uint64Value ?? 0
        let recorderMissed = (summary["missed"] as? NSNumber)?.uint64Value ?? 0
        var unaccounted = Int64(emitted) - Int64(recorded) - Int64(recorderMissed)
        var readerMissed: UInt64 = 0
        var notes: [String] = ["recorder \(recorded) + \(recorderMissed) missed"]
        for reader in readers {
            reader.wait()
            guard let counts = EventsReaderCounts(stderr: reader.stderr) else {
                throw ValidationError("a reader did not say what it read: \(reader.stderr)")
            }
            let (delivered, missed) = (counts.events, counts.missed)
            unaccounted += Int64(emitted) - Int64(delivered) - Int64(missed) - Int64(counts.before)
            readerMissed = max(readerMissed, missed)
            notes.append("reader \(delivered) + \(missed) missed")
        }

        var report = BenchmarkReport(
            title: "asynctop-bench load  (\(Int(seconds)) s at \(Int(eventsPerSecond)) events/s into one ring; "
                + "asynctop record --pid and two asynctop events reading)")
        report.add("events_per_s", Double(emitted) / producing, "events/s", "\(emitted) emitted")
        report.add("unaccounted_events", Double(unaccounted), "events", notes.joined(separator: ", "))
        report.add("recorder_missed", Double(recorderMissed), "events", "bar: 0")
        report.add("reader_missed_max", Double(readerMissed), "events", "printing every event, counted")
        report.print(json: options.json)
    }
}
