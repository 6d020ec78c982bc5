import ArgumentParser
import AsyncTopTestSupport
import Foundation

/// `asynctop-bench soak`: does asynctop's memory stay put over a long watch? A demo publishes its trace
/// (`asynctop demo NAME --publish`); the live monitor (`asynctop attach`, in a real tmux at 120×40) and a recorder
/// (`asynctop record --pid`) watch it together for `--minutes`. Their resident memory (VmRSS) is sampled every
/// `--interval` seconds and printed as it goes.
///
/// - `monitor_rss_mb_at_5_min`, `recorder_rss_mb_at_5_min`: the baseline, the sample at minute 5 (warmed up).
/// - `monitor_rss_drift_percent`, `recorder_rss_drift_percent`: the largest difference from that baseline of any
///   later sample, in percent; the bar is ±10.
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

        let session = "asynctop-soak-\(getpid())"
        _ = try ChildProcess.run(
            "/usr/bin/env",
            [
                "tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40",
                "exec env XDG_RUNTIME_DIR=\(directory) \(asynctop) attach \(producer.pid)"
            ])
        defer { _ = try? ChildProcess.run("/usr/bin/env", ["tmux", "kill-session", "-t", session]) }
        let panePID = try ChildProcess.run("/usr/bin/env", ["tmux", "display", "-p", "-t", session, "#{pane_pid}"])
        guard let monitor = Int32(panePID.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ValidationError("no monitor in tmux: \(panePID.stderr)")
        }
        let recording = directory + "/soak.atrace"
        let recorder = try ChildProcess(
            asynctop, ["record", "--pid", "\(producer.pid)", "-o", recording], environment: environment)
        defer {
            recorder.send(SIGINT)
            recorder.wait()
        }

        var samples: [(seconds: Double, monitor: Double, recorder: Double)] = []
        let start = Date()
        while Date().timeIntervalSince(start) < minutes * 60 {
            Thread.sleep(forTimeInterval: interval)
            let seconds = Date().timeIntervalSince(start)
            guard let monitorRSS = Self.residentMegabytes(of: monitor),
                let recorderRSS = Self.residentMegabytes(of: recorder.pid)
            else { throw ValidationError("the monitor or the recorder ended after \(Int(seconds)) s") }
            samples.append((seconds, monitorRSS, recorderRSS))
            FileHandle.standardError.write(
                Data(
                    String(format: "%6.0f s  monitor %7.1f MB  recorder %7.1f MB\n", seconds, monitorRSS, recorderRSS)
                        .utf8))
        }
        let baseline = samples.first { $0.seconds >= 300 } ?? samples[samples.count - 1]
        let later = samples.filter { $0.seconds >= baseline.seconds }
        func drift(_ value: KeyPath<(seconds: Double, monitor: Double, recorder: Double), Double>) -> Double {
            later.map { abs($0[keyPath: value] - baseline[keyPath: value]) / baseline[keyPath: value] * 100 }.max() ?? 0
        }
        var report = BenchmarkReport(
            title: "asynctop-bench soak  (\(demo) published, watched by asynctop attach in tmux and asynctop record "
                + "for \(Int(minutes)) min, sampled every \(Int(interval)) s)")
        report.add("monitor_rss_mb_at_5_min", baseline.monitor, "MB")
        report.add("monitor_rss_drift_percent", drift(\.monitor), "%", "largest after minute 5; bar ±10")
        report.add("recorder_rss_mb_at_5_min", baseline.recorder, "MB")
        report.add("recorder_rss_drift_percent", drift(\.recorder), "%", "largest after minute 5; bar ±10")
        report.print(json: options.json)
    }

    /// VmRSS of `pid` in MB, from /proc; nil once it has exited.
    static func residentMegabytes(of pid: Int32) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes / 1024
    }
}
