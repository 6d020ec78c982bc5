import AsyncTopModel
import AsyncTopRuntime
import AsyncTopTestSupport
import AsyncTopTrace
import Foundation
import Testing

@testable import AsyncTopServe

/// `FleetExporter` against a real producer: an asynctop event loop publishing its region into a directory of the
/// test's own, scraped over real HTTP on loopback.
@Suite struct FleetExporterTests {
    func get(_ path: String, port: UInt16, headers: String = "") throws -> String {
        try LoopbackHTTP.get(port: Int(port), path: path, headers: headers)
    }

    /// The value of the sample line that starts with `prefix` (name and labels), if any.
    func value(_ text: String, _ prefix: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.split(separator: " ").last!) }
    }

    @Test func aProcessIsExportedWithWhatItDidThenSeenEndedOnceThenGone() throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let region = try Region.publish(
            layout: RegionLayout(ringCount: 4, ringCapacity: 1 << 14, namesCapacity: 1 << 16),
            processName: "serve-test",
            directory: directory)
        let loop = try EventLoop(name: "producer", region: region)
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<50 { loop.execute {} }
        loop.execute { usleep(30_000) }  // blocks the loop: a blocking warning, 30 ms busy
        loop.execute { done.signal() }
        done.wait()

        let exporter = try FleetExporter(
            listen: ListenAddress(host: "127.0.0.1", port: 0), directory: directory, pids: nil,
            thresholds: WarningThresholds(), log: { _ in })
        defer { exporter.stop() }
        let labels = "{pid=\"\(getpid())\",process=\"serve-test\""
        var scrape = ""
        for _ in 0..<50 where value(scrape, "asynctop_callbacks_total" + labels) != 52 {
            usleep(100_000)
            scrape = try get("/metrics", port: exporter.address.port)
        }
        #expect(scrape.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4"))
        #expect(value(scrape, "asynctop_callbacks_total" + labels) == 52)
        #expect(value(scrape, "asynctop_trace_live" + labels) == 1)
        #expect(value(scrape, "asynctop_warnings_total" + labels + ",kind=\"blocking\"}") == 1)
        let loopLabels = labels + ",loop=\"loop \(loop.id)\",kind=\"event_loop\"}"
        #expect(value(scrape, "asynctop_loop_latency_seconds_count" + loopLabels) == 52)
        #expect(value(scrape, "asynctop_loop_latency_seconds_bucket" + loopLabels.dropLast() + ",le=\"+Inf\"}") == 52)
        #expect(try #require(value(scrape, "asynctop_loop_busy_seconds_total" + loopLabels)) >= 0.03)
        #expect(value(scrape, "asynctop_loop_queue_depth" + loopLabels.dropLast() + ",queue=\"callbacks\"}") == 0)

        let openMetrics = try get(
            "/metrics", port: exporter.address.port, headers: "Accept: application/openmetrics-text\r\n")
        #expect(openMetrics.contains("Content-Type: application/openmetrics-text; version=1.0.0"))
        #expect(openMetrics.hasSuffix("# EOF\n"))
        #expect(try get("/nothing", port: exporter.address.port).hasPrefix("HTTP/1.1 404"))

        // The producer ends: one scrape sees it ended, the next no longer lists it.
        loop.shutdown()
        region.close()
        var ended = ""
        for _ in 0..<50 where value(ended, "asynctop_trace_live" + labels) != 0 {
            usleep(100_000)
            ended = try get("/metrics", port: exporter.address.port)
        }
        #expect(value(ended, "asynctop_trace_live" + labels) == 0)
        usleep(200_000)
        #expect(!(try get("/metrics", port: exporter.address.port)).contains(labels))
    }

    @Test func aCorruptRegionIsReportedOnceAndTheRestServed() throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/4242.region"
        FileManager.default.createFile(
            atPath: path, contents: Data(repeating: 0x5A, count: 8_192), attributes: [.posixPermissions: 0o600])
        let messages = Locked<[String]>([])
        let exporter = try FleetExporter(
            listen: ListenAddress(host: "127.0.0.1", port: 0), directory: directory, pids: nil,
            thresholds: WarningThresholds(), log: { message in messages.withLock { $0.append(message) } })
        defer { exporter.stop() }
        usleep(1_500_000)  // the first discovery and the next
        let logged = messages.withLock { $0 }
        #expect(logged.count == 1 && logged.first?.hasPrefix("cannot read \(path)") == true, "\(logged)")
        #expect(try get("/metrics", port: exporter.address.port).hasPrefix("HTTP/1.1 200 OK"))
    }
}
