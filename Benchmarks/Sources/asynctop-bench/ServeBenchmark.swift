import ArgumentParser
import AsyncTopModel
import AsyncTopRuntime
import AsyncTopTestSupport
import AsyncTopTrace
import Foundation
import Prometheus
import Synchronization

/// `asynctop-bench serve`: what the fleet exporter costs. Ten producer processes (this binary's hidden
/// `serve-producer`), ten asynctop event loops each, publish into a directory of the benchmark's own; the real
/// `asynctop serve` (release) watches them and is scraped over HTTP once a second, as Prometheus would.
///
/// Quiet and loaded windows take turns (`--rounds` of each; this machine's speed drifts), and each figure is the
/// median over its windows.
///
/// - `scrape_ms_100_loops`: one GET /metrics, wall time at the client, median of the scrapes taken while the
///   producers produce (10 processes × 10 loops).
/// - `serve_cpu_percent`: asynctop serve's CPU time (user + system, from /proc) over wall time while the producers
///   emit `events_per_s` together (target 1M/s) and it is scraped once a second.
/// - `serve_cpu_percent_quiet`: the baseline, in the same run: the same fleet with only its loops' 5 ms timers
///   ticking (`events_per_s_quiet`), the same scrapes.
/// - `events_per_s`, `missed_events`: what serve read per second during the loaded windows (its own
///   `asynctop_trace_events_total`), and lost in them (`asynctop_trace_missed_events_total`).
/// - `swift_prometheus_record_ns`, `swift_prometheus_cpu_percent`: why serve writes its exposition itself. A
///   swift-prometheus (2.4.1) histogram takes observations one at a time, so exporting through it would mean
///   recording every latency sample a second time: one `Histogram.record` timed here (median of 5 × 1M, the
///   exporter's bucket bounds), and what that would add at the loaded windows' rate of latency samples
///   (`asynctop_loop_latency_seconds_count`).
struct ServeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "asynctop serve: one scrape of 100 loops, and its CPU share at 1M events/s.")

    @OptionGroup var options: ReportOptions

    @Option(help: "Seconds of each measured window.")
    var seconds = 8

    @Option(help: "Quiet and loaded windows of each, taking turns.")
    var rounds = 3

    @Option(help: "Events per second the producers emit together.")
    var eventsPerSecond = 1_000_000

    @OptionGroup var binary: AsynctopBinary

    static let processes = 10
    static let loops = 10

    func validate() throws {
        guard seconds >= 2 else { throw ValidationError("--seconds must be at least 2") }
    }

    func run() throws {
        let directory = NSTemporaryDirectory() + "asynctop-bench-serve-\(getpid())"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["XDG_RUNTIME_DIR": directory]
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let producers = try (0..<Self.processes).map { _ in
            try ChildProcess(
                me,
                [
                    "serve-producer", "--loops", "\(Self.loops)", "--events-per-second",
                    "\(eventsPerSecond / Self.processes)"
                ],
                environment: environment)
        }
        defer {
            for producer in producers {
                producer.send(SIGTERM)
                producer.wait()
            }
        }
        let serve = try ChildProcess(
            binary.absolutePath, ["serve", "--listen", "127.0.0.1:0"],
            environment: environment)
        defer {
            serve.send(SIGTERM)
            serve.wait()
        }
        let port = try Self.port(of: serve)

        // Every producer and every loop seen, then the idle baseline.
        var scrape = ""
        for _ in 0..<100 where Self.values(scrape, "asynctop_loop_ticks_total").count < Self.processes * Self.loops {
            usleep(200_000)
            scrape = try LoopbackHTTP.body(port: port, path: "/metrics")
        }
        guard Self.values(scrape, "asynctop_loop_ticks_total").count == Self.processes * Self.loops else {
            throw ValidationError("asynctop serve did not see the 100 loops: \(serve.stderr)")
        }
        usleep(3_000_000)  // attaching reads each region's history first
        var quiet: [Window] = []
        var loaded: [Window] = []
        for _ in 0..<rounds {
            quiet.append(try measure(serve: serve, port: port))
            for producer in producers { producer.send(SIGUSR1) }  // producing on
            usleep(1_000_000)
            loaded.append(try measure(serve: serve, port: port))
            for producer in producers { producer.send(SIGUSR1) }  // and off
            usleep(1_000_000)
        }
        let median = Measurement.median
        var report = BenchmarkReport(
            title:
                "asynctop-bench serve  (10 processes x 10 loops, \(rounds) x \(seconds) s quiet and loaded, scraped "
                + "every 1 s)"
        )
        report.add(
            "scrape_ms_100_loops", median(loaded.flatMap(\.scrapeMilliseconds)), "ms",
            "GET /metrics while producing, median")
        report.add(
            "serve_cpu_percent", median(loaded.map(\.cpuPercent)), "%", "asynctop serve's CPU while the fleet produces")
        report.add(
            "serve_cpu_percent_quiet", median(quiet.map(\.cpuPercent)), "%",
            "baseline: the fleet's timers only, same scrapes")
        report.add(
            "events_per_s", median(loaded.map(\.eventsPerSecond)), "events/s",
            "read by serve (target \(eventsPerSecond))")
        report.add("events_per_s_quiet", median(quiet.map(\.eventsPerSecond)), "events/s")
        report.add(
            "missed_events", loaded.map(\.missed).reduce(0, +), "events", "lost to full rings in the loaded windows")
        report.add("scrape_bytes", Double(loaded.last?.scrapeBytes ?? 0), "bytes", "one /metrics response")
        let recordNanoseconds = Self.swiftPrometheusRecordNanoseconds()
        let samplesPerSecond = median(loaded.map(\.latencySamplesPerSecond))
        report.add(
            "swift_prometheus_record_ns", recordNanoseconds, "ns", "one Histogram.record (swift-prometheus 2.4.1)")
        report.add(
            "swift_prometheus_cpu_percent", 100 * recordNanoseconds * samplesPerSecond / 1e9, "%",
            "would be added: every latency sample (\(Int(samplesPerSecond))/s) recorded again")
        report.print(json: options.json)
    }

    struct Window {
        var cpuPercent: Double
        var scrapeMilliseconds: [Double]
        var eventsPerSecond: Double
        var missed: Double
        var scrapeBytes: Int
        var latencySamplesPerSecond: Double
    }

    /// One window: a scrape a second for `seconds`, serve's CPU over it, and the events it read.
    private func measure(serve: ChildProcess, port: Int) throws -> Window {
        let first = try LoopbackHTTP.body(port: port, path: "/metrics")
        let startCPU = ServerBenchmark.cpuSeconds(of: serve.pid)
        let start = TraceClock.monotonicNanoseconds()
        var times: [Double] = []
        var last = first
        for second in 1...seconds {
            let due = start + UInt64(second) * 1_000_000_000
            let now = TraceClock.monotonicNanoseconds()
            if due > now { usleep(UInt32((due - now) / 1_000)) }
            let began = TraceClock.monotonicNanoseconds()
            last = try LoopbackHTTP.body(port: port, path: "/metrics")
            times.append(Double(TraceClock.monotonicNanoseconds() - began) / 1e6)
        }
        let wall = Double(TraceClock.monotonicNanoseconds() - start) / 1e9
        let cpu = ServerBenchmark.cpuSeconds(of: serve.pid) - startCPU
        func total(_ text: String, _ name: String) -> Double { Self.values(text, name).reduce(0, +) }
        return Window(
            cpuPercent: 100 * cpu / wall, scrapeMilliseconds: times,
            eventsPerSecond: (total(last, "asynctop_trace_events_total") - total(first, "asynctop_trace_events_total"))
                / wall,
            missed: total(last, "asynctop_trace_missed_events_total")
                - total(first, "asynctop_trace_missed_events_total"),
            scrapeBytes: last.utf8.count,
            latencySamplesPerSecond: (total(last, "asynctop_loop_latency_seconds_count")
                - total(first, "asynctop_loop_latency_seconds_count")) / wall)
    }

    /// Nanoseconds per `Histogram.record` of swift-prometheus, with the exporter's buckets and labels like its own.
    static func swiftPrometheusRecordNanoseconds() -> Double {
        let registry = PrometheusCollectorRegistry()
        let histogram = registry.makeValueHistogram(
            name: "asynctop_loop_latency_seconds",
            labels: [("pid", "1"), ("process", "p"), ("loop", "loop 1"), ("kind", "event_loop")],
            buckets: LatencyBuckets.boundsNanoseconds.map { Double($0) / 1e9 })
        let operations = 1_000_000
        return Measurement.medianNanosecondsPerOperation(operations: operations) {
            for index in 0..<operations { histogram.record(Double(index % 50_000) * 1e-9) }
        }
    }

    /// The port `asynctop serve` printed it listens on.
    static func port(of serve: ChildProcess) throws -> Int {
        for _ in 0..<100 {
            if let line = serve.stderr.split(separator: "\n").first(where: {
                $0.contains("metrics at http://127.0.0.1:")
            }),
                let port = line.split(separator: ":").last.flatMap({ Int($0.prefix { $0.isNumber }) })
            {
                return port
            }
            usleep(50_000)
        }
        throw ValidationError("asynctop serve did not start: \(serve.stderr)")
    }

    /// The values of every sample of `name` (any labels) in a scrape.
    static func values(_ scrape: String, _ name: String) -> [Double] {
        scrape.split(separator: "\n").compactMap { line in
            guard line.hasPrefix(name + "{") || line.hasPrefix(name + " ") else { return nil }
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
    }
}

/// A fleet member for `asynctop-bench serve`: publishes its trace, runs `--loops` asynctop event loops ticking every
/// 5 ms, and while producing (each SIGUSR1 turns it on or off) has them emit about `--events-per-second` events
/// together (callbacks queued at each tick), until SIGTERM.
struct ServeProducer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve-producer", shouldDisplay: false)

    @Option var loops = 10
    @Option var eventsPerSecond = 100_000

    static let producing = Atomic<Bool>(false)
    static let stopping = Atomic<Bool>(false)

    func run() throws {
        let region = try Region.publish(processName: "asynctop-bench producer")
        let group = try EventLoopGroup(threads: loops, region: region)
        signal(SIGUSR1) { _ in _ = ServeProducer.producing.logicalXor(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in ServeProducer.stopping.store(true, ordering: .relaxed) }
        // A firing writes ~9 events (tick, phases, the timer's callback) and each callback it queues 3.
        let perFiring = max(0, (eventsPerSecond / loops / 200 - 9) / 3)
        for loop in group.loops {
            loop.execute {
                loop.scheduleRepeating(every: .milliseconds(5)) { _ in
                    guard ServeProducer.producing.load(ordering: .relaxed) else { return }
                    for _ in 0..<perFiring { loop.execute {} }
                }
            }
        }
        while !Self.stopping.load(ordering: .relaxed) { usleep(50_000) }
        group.shutdown()
        region.close()
    }
}
