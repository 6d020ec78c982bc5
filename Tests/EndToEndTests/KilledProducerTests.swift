import AsyncTopTestSupport
import Foundation
import Testing

/// A producer killed with SIGKILL while asynctop reads it (issue 15.3): the recorder, an event reader, the live
/// monitor and `asynctop serve` each end (or drop it) cleanly with what they had; the region it left behind is
/// listed as stale, and `list --clean` removes it.
@Suite(.serialized) struct KilledProducerTests {
    @Test func everyReaderEndsCleanlyWithWhatItHad() throws {
        let directory = NSTemporaryDirectory() + "asynctop-killed-\(UUID().uuidString)"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["XDG_RUNTIME_DIR": directory]
        let producer = try ChildProcess(
            asynctopPath, ["demo", "blocking-callback", "--publish"], environment: environment)
        defer { producer.send(SIGKILL) }
        let pid = producer.pid
        let region = "\(directory)/asynctop/\(pid).region"
        for _ in 0..<200 where access(region, F_OK) != 0 { usleep(25_000) }
        try #require(access(region, F_OK) == 0, "the demo did not publish its region")

        let recording = directory + "/killed.atrace"
        let recorder = try ChildProcess(
            asynctopPath, ["record", "--pid", "\(pid)", "-o", recording], environment: environment)
        defer { recorder.send(SIGKILL) }
        let events = try ChildProcess(asynctopPath, ["events", "\(pid)"], environment: environment)
        defer { events.send(SIGKILL) }
        let serve = try ChildProcess(asynctopPath, ["serve", "--listen", "127.0.0.1:0"], environment: environment)
        defer { serve.send(SIGKILL) }
        let monitor = try Tmux(
            "XDG_RUNTIME_DIR=\(directory) \(asynctopPath) attach \(pid)", columns: 100, rows: 30,
            environment: ["LANG": "C.UTF-8"])
        _ = try monitor.waitFor { $0.contains("blocking-callback") && $0.contains("Overview") }
        let port = try #require(Self.port(of: serve), "asynctop serve printed no address: \(serve.stderr)")
        _ = try Self.scrape(port, until: { $0.contains("pid=\"\(pid)\"") })
        sleep(2)  // the readers have something
        producer.send(SIGKILL)
        #expect(producer.wait() == 128 + SIGKILL)

        // The recorder ends by itself, with a whole file of what it read.
        #expect(recorder.wait(timeout: 20) == 0, "the recorder did not end: \(recorder.stderr)")
        let stats = try ChildProcess.run(asynctopPath, ["stats", recording, "--json"])
        let summary = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        #expect(((summary?["events"] as? Int) ?? 0) > 100, "\(stats.stdout) \(stats.stderr)")

        // The event reader ends and counts exactly the events it printed.
        #expect(events.wait(timeout: 20) == 0, "asynctop events did not end: \(events.stderr)")
        let printed = events.stdout.split(separator: "\n").count
        #expect(
            printed > 100 && EventsReaderCounts(stderr: events.stderr)?.events == UInt64(printed), "\(events.stderr)")

        // The monitor says so and keeps what it showed.
        let screen = try monitor.waitFor(20) { $0.contains("has exited") }
        #expect(screen.contains("has exited") && screen.contains("loop 1"), "\(screen)")

        // serve: one scrape says it ended, the next has it gone; serve itself goes on.
        let liveLine = { (body: String) in
            body.split(separator: "\n").first { $0.hasPrefix("asynctop_trace_live{") && $0.contains("pid=\"\(pid)\"") }
        }
        let ended = try Self.scrape(port, until: { liveLine($0)?.hasSuffix(" 0") == true })
        #expect(liveLine(ended)?.hasSuffix(" 0") == true, "\(ended)")
        let gone = try Self.scrape(port, until: { !$0.contains("pid=\"\(pid)\"") })
        #expect(!gone.contains("pid=\"\(pid)\"") && serve.wait(timeout: 0) == nil)

        // The region it left is stale, and --clean removes it.
        let listed = try ChildProcess.run(asynctopPath, ["list"], environment: environment)
        #expect(listed.stdout.contains("\(pid)") && listed.stdout.contains("stale"), "\(listed.stdout)")
        let cleaned = try ChildProcess.run(asynctopPath, ["list", "--clean"], environment: environment)
        #expect(cleaned.stdout.contains("removed") && access(region, F_OK) != 0, "\(cleaned.stdout)")
    }

    /// The port `asynctop serve --listen 127.0.0.1:0` chose (it prints its address).
    static func port(of serve: ChildProcess) -> Int? {
        for _ in 0..<200 {
            if let range = serve.stderr.range(of: "http://127.0.0.1:"),
                let port = Int(serve.stderr[range.upperBound...].prefix { $0.isNumber })
            {
                return port
            }
            usleep(25_000)
        }
        return nil
    }

    /// Scrapes /metrics once a quarter second until `condition` holds (at most 20 s); the last scrape.
    static func scrape(_ port: Int, until condition: (String) -> Bool) throws -> String {
        var body = ""
        for _ in 0..<80 {
            body = (try? LoopbackHTTP.body(port: port, path: "/metrics")) ?? ""
            if condition(body) { return body }
            usleep(250_000)
        }
        return body
    }
}
