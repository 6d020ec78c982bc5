import ArgumentParser
import AsyncTopTestSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `asynctop-bench server`: what watching a real SwiftNIO server costs, as its clients see it. The example
/// Hummingbird server (Examples/HummingbirdServer, built in release) serves `/fast` to wrk on loopback, in three
/// configurations that take turns, one of each per round in a rotating order (A B C, B C A, C A B, …):
///
/// - untraced: `--untraced`, the same server without asynctop (a `TracingMiddleware` on swift-distributed-tracing's
///   no-op tracer, plain NIO group);
/// - traced: `AsyncTop.traceServer` (the concurrency tap, the NIO loop delegate, the span tracer) with nobody reading;
/// - watched: traced, with `asynctop record --pid` reading the region and writing it to a file all along.
///
/// Each run starts a fresh server, warms it with one second of wrk, waits until the server is idle (its CPU time
/// grows by less than 5% of a core over half a second: a traced server names the call sites of its first tasks off
/// their threads, a few seconds of one core after start), then measures `--seconds` of wrk (2 threads, 32
/// connections, `--latency`). Figures are whole-process: the server, wrk and the recorder share this machine's
/// cores, as they would on a small host.
///
/// - `requests_per_s_traced`, `_untraced`, `_watched`: wrk's requests/s, the median over rounds.
/// - `p99_ms_traced`, `_untraced`: wrk's 99th-percentile latency, the median over rounds.
/// - `paired_overhead`: the median over rounds of 1 − traced/untraced throughput, in percent.
/// - `watched_overhead`: the same for watched against untraced.
/// - `failed_requests`: socket errors and non-2xx answers over all runs (must be 0).
/// - `settle_cpu_s_traced`, `_untraced`: the server's CPU time from its start to the measurement (start-up, warm-up
///   and, traced, the naming of its first spawn sites), the median over rounds.
struct ServerBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "A Hummingbird server under wrk: traced and watched against untraced.")

    @OptionGroup var options: ReportOptions

    @Option(help: "Rounds (one run of each configuration per round).")
    var rounds = 5

    @Option(help: "Seconds of wrk per run, after one second of warm-up.")
    var seconds = 5

    @Option(help: "The example server, built with -c release.")
    var server = "../Examples/HummingbirdServer/.build/release/asynctop-example-server"

    @Option(help: "The asynctop binary that records the watched runs.")
    var asynctop = "../.build/release/asynctop"

    enum Configuration: String, CaseIterable {
        case untraced, traced, watched
    }

    struct Run {
        var requestsPerSecond: Double
        var p99Milliseconds: Double
        var failed: Int
        var settleCPUSeconds = 0.0
    }

    func validate() throws {
        guard rounds >= 1, seconds >= 1 else { throw ValidationError("--rounds and --seconds must be at least 1") }
        for path in [server, asynctop] where access(path, X_OK) != 0 {
            throw ValidationError("\(path) is not an executable: build it first (swift build -c release)")
        }
        guard access("/usr/bin/wrk", X_OK) == 0 else { throw ValidationError("wrk is missing (apt install wrk)") }
    }

    func run() throws {
        let serverPath = URL(fileURLWithPath: server).standardizedFileURL.path
        let asynctopPath = URL(fileURLWithPath: asynctop).standardizedFileURL.path
        var runs: [Configuration: [Run]] = [:]
        let order = Configuration.allCases
        for round in 0..<rounds {
            for step in 0..<order.count {
                let configuration = order[(round + step) % order.count]
                runs[configuration, default: []].append(
                    try measure(configuration, server: serverPath, asynctop: asynctopPath))
            }
        }
        let median = Measurement.median
        let untraced = runs[.untraced] ?? []
        let traced = runs[.traced] ?? []
        let watched = runs[.watched] ?? []
        let pairedOverhead = median(
            zip(traced, untraced).map { 100 * (1 - $0.requestsPerSecond / $1.requestsPerSecond) })
        let watchedOverhead = median(
            zip(watched, untraced).map { 100 * (1 - $0.requestsPerSecond / $1.requestsPerSecond) })
        var report = BenchmarkReport(
            title:
                "server: the example Hummingbird server's /fast under wrk (2 threads, 32 connections), \(rounds) "
                + "rounds of \(seconds) s"
        )
        report.add(
            "requests_per_s_untraced", median(untraced.map(\.requestsPerSecond)), "req/s",
            "baseline: the same server without asynctop")
        report.add("requests_per_s_traced", median(traced.map(\.requestsPerSecond)), "req/s")
        report.add(
            "requests_per_s_watched", median(watched.map(\.requestsPerSecond)), "req/s",
            "traced, recorded by asynctop record --pid")
        report.add("paired_overhead", pairedOverhead, "%", "median over rounds of 1 - traced/untraced")
        report.add("watched_overhead", watchedOverhead, "%", "median over rounds of 1 - watched/untraced")
        report.add("p99_ms_untraced", median(untraced.map(\.p99Milliseconds)), "ms")
        report.add("p99_ms_traced", median(traced.map(\.p99Milliseconds)), "ms")
        report.add("failed_requests", Double((untraced + traced + watched).map(\.failed).reduce(0, +)), "")
        report.add(
            "settle_cpu_s_untraced", median(untraced.map(\.settleCPUSeconds)), "s", "server CPU before measuring")
        report.add(
            "settle_cpu_s_traced", median(traced.map(\.settleCPUSeconds)), "s", "the same, with spawn sites named")
        report.print(json: options.json)
    }

    /// One run: a fresh server in `configuration`, one second of warm-up, then the measured wrk.
    private func measure(_ configuration: Configuration, server: String, asynctop: String) throws -> Run {
        let process = try ChildProcess(
            server, ["--port", "0", "--loops", "2"] + (configuration == .untraced ? ["--untraced"] : []))
        defer {
            process.send(SIGTERM)
            process.wait()
        }
        var port = 0
        for _ in 0..<200 where port == 0 {
            if let line = process.stdout.split(separator: "\n").first(where: { $0.hasPrefix("listening on 127.0.0.1:") }
            ) {
                port = Int(line.split(separator: ":").last ?? "") ?? 0
            } else {
                usleep(50_000)
            }
        }
        guard port > 0 else { throw ValidationError("the server did not start: \(process.stderr)") }
        let url = "http://127.0.0.1:\(port)/fast"
        _ = try ChildProcess.run("/usr/bin/wrk", ["-t", "2", "-c", "32", "-d", "1s", url])
        var cpu = Self.cpuSeconds(of: process.pid)
        for _ in 0..<60 {
            usleep(500_000)
            let now = Self.cpuSeconds(of: process.pid)
            defer { cpu = now }
            if now - cpu < 0.025 { break }
        }
        var recorder: ChildProcess?
        let recording = NSTemporaryDirectory() + "asynctop-bench-server-\(process.pid).atrace"
        if configuration == .watched {
            recorder = try ChildProcess(asynctop, ["record", "--pid", String(process.pid), "-o", recording])
        }
        defer {
            recorder?.send(SIGINT)
            recorder?.wait()
            unlink(recording)
        }
        let result = try ChildProcess.run(
            "/usr/bin/wrk", ["-t", "2", "-c", "32", "-d", "\(seconds)s", "--latency", url])
        guard result.status == 0 else { throw ValidationError("wrk failed: \(result.stderr)") }
        var run = try Self.parse(result.stdout)
        run.settleCPUSeconds = cpu
        return run
    }

    /// A process's user + system CPU time, from /proc (clock ticks of 1/100 s).
    static func cpuSeconds(of pid: pid_t) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Requests/s, the 99th percentile and the failures from wrk's report.
    static func parse(_ report: String) throws -> Run {
        func number(after label: String, in line: Substring) -> Double? {
            line.components(separatedBy: label).last.flatMap {
                Double($0.trimmingCharacters(in: .whitespaces).prefix { $0.isNumber || $0 == "." })
            }
        }
        var run = Run(requestsPerSecond: 0, p99Milliseconds: .nan, failed: 0)
        for line in report.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("Requests/sec:") {
                run.requestsPerSecond = number(after: "Requests/sec:", in: line) ?? 0
            } else if trimmed.hasPrefix("99%") {
                let value = trimmed.dropFirst(3).trimmingCharacters(in: .whitespaces)
                let amount = Double(value.prefix { $0.isNumber || $0 == "." }) ?? .nan
                run.p99Milliseconds =
                    value.hasSuffix("us")
                    ? amount / 1000 : value.hasSuffix("ms") ? amount : value.hasSuffix("s") ? amount * 1000 : .nan
            } else if trimmed.hasPrefix("Non-2xx") || trimmed.hasPrefix("Socket errors") {
                run.failed += trimmed.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }.reduce(0, +)
            }
        }
        guard run.requestsPerSecond > 0 else { throw ValidationError("wrk reported no throughput:\n\(report)") }
        return run
    }
}
