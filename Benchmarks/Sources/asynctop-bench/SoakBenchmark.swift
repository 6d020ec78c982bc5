import ArgumentParser
import AsyncTopTestSupport
import Foundation

/// `asynctop-bench soak`: does asynctop's memory stay put over a long watch? A demo publishes its trace
/// (`asynctop demo NAME --publish`); the live monitor (`asynctop attach`, in a real tmux at 120×40) and a recorder
/// (`asynctop record --pid`) watch it together for `--minutes`. Their resident memory is sampled every `--interval`
/// seconds and printed as it goes: all of it (VmRSS), and their own (RssAnon: the heap and stacks).
///
/// Resident memory also counts the pages of the demo's region that a reader has read: a ring of 128 Ki events is
/// 4 MiB, and it is touched a little more with each event until the producer has gone round it once (at the demo's
/// ~350 events/s, minutes). That is the producer's memory, shared, and stops growing; a reader's leak would show in
/// its own memory.
///
/// - `*_private_mb_at_5_min`, `*_rss_mb_at_5_min`: the baseline, the sample at minute 5 (warmed up).
/// - `*_private_drift_percent` (the bar: ±10), `*_rss_drift_percent`: the largest difference from that baseline of
///   any later sample, in percent.
struct SoakBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "A demo, the live monitor and a recorder for 30 minutes: resident memory over time.")

    @OptionGroup var options: ReportOptions

    @Option(help: "Minutes to run.")
    var minutes = 30.0

    @Option(help: "Seconds between memory samples.")
    var interval = 10.0

    @Option(help: "The demo that publishes its trace.")
    var demo = "blocking-callback"

    @OptionGroup var binary: AsynctopBinary

    func validate() throws {
        guard minutes > 5 else { throw ValidationError("--minutes must be more than 5: minute 5 is the baseline") }
    }

    func run() throws {
        let directory = NSTemporaryDirectory() + "asynctop-bench-soak-\(getpid())"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["XDG_RUNTIME_DIR": directory]
        let asynctop = binary.absolutePath
        let producer = try ChildProcess(asynctop, ["demo", demo, "--publish"], environment: environment)
        defer {
            producer.send(SIGTERM)
            producer.wait()
        }
        let region = directory + "/asynctop/\(producer.pid).region"
        for _ in 0..<100 where access(region, F_OK) != 0 { usleep(50_000) }
        guard access(region, F_OK) == 0 else { throw ValidationError("the demo did not publish \(region)") }

        let session = try TmuxSession(
            "env XDG_RUNTIME_DIR=\(directory) \(asynctop) attach \(producer.pid)", name: "asynctop-soak-\(getpid())")
        defer { session.end() }
        let monitor = session.panePID
        let recording = directory + "/soak.atrace"
        let recorder = try ChildProcess(
            asynctop, ["record", "--pid", "\(producer.pid)", "-o", recording], environment: environment)
        defer {
            recorder.send(SIGINT)
            recorder.wait()
        }

        var samples: [Sample] = []
        let start = Date()
        while Date().timeIntervalSince(start) < minutes * 60 {
            Thread.sleep(forTimeInterval: interval)
            let seconds = Date().timeIntervalSince(start)
            guard let monitorMemory = Self.memory(of: monitor), let recorderMemory = Self.memory(of: recorder.pid)
            else {
                throw ValidationError("the monitor or the recorder ended after \(Int(seconds)) s")
            }
            let sample = Sample(seconds: seconds, monitor: monitorMemory, recorder: recorderMemory)
            samples.append(sample)
            let line = String(
                format: "%6.0f s  monitor %6.1f MB (own %5.1f)  recorder %6.1f MB (own %5.1f)\n", seconds,
                sample.monitor.resident, sample.monitor.own, sample.recorder.resident, sample.recorder.own)
            FileHandle.standardError.write(Data(line.utf8))
        }
        let baseline = samples.first { $0.seconds >= 300 } ?? samples[samples.count - 1]
        let later = samples.filter { $0.seconds >= baseline.seconds }
        func drift(_ value: KeyPath<Sample, Double>) -> Double {
            later.map { abs($0[keyPath: value] - baseline[keyPath: value]) / baseline[keyPath: value] * 100 }.max() ?? 0
        }
        var report = BenchmarkReport(
            title: "asynctop-bench soak  (\(demo) published, watched by asynctop attach in tmux and asynctop record "
                + "for \(Int(minutes)) min, sampled every \(Int(interval)) s)")
        report.add("monitor_private_mb_at_5_min", baseline.monitor.own, "MB", "RssAnon")
        report.add("monitor_private_drift_percent", drift(\.monitor.own), "%", "largest after minute 5; bar ±10")
        report.add("recorder_private_mb_at_5_min", baseline.recorder.own, "MB", "RssAnon")
        report.add("recorder_private_drift_percent", drift(\.recorder.own), "%", "largest after minute 5; bar ±10")
        report.add("monitor_rss_mb_at_5_min", baseline.monitor.resident, "MB", "VmRSS, with the region's pages read")
        report.add("monitor_rss_drift_percent", drift(\.monitor.resident), "%")
        report.add("recorder_rss_mb_at_5_min", baseline.recorder.resident, "MB", "VmRSS, with the region's pages read")
        report.add("recorder_rss_drift_percent", drift(\.recorder.resident), "%")
        report.print(json: options.json)
    }

    /// A process's memory, in MB: all that is resident, and its own (anonymous: heap and stacks).
    struct Memory {
        var resident: Double
        var own: Double
    }

    struct Sample {
        var seconds: Double
        var monitor: Memory
        var recorder: Memory
    }

    /// VmRSS and RssAnon of `pid`, from /proc; nil once it has exited.
    static func memory(of pid: Int32) -> Memory? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func megabytes(_ field: String) -> Double? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else {
                return nil
            }
            return Double(line.split(separator: " ").dropFirst().first ?? "").map { $0 / 1024 }
        }
        guard let resident = megabytes("VmRSS"), let own = megabytes("RssAnon") else { return nil }
        return Memory(resident: resident, own: own)
    }
}
