import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopTrace
import Foundation
import Testing

/// A recording is as long as the recorder watched, and its figures are over that span; queue depths come back to
/// what the loop really holds (issue 16, items 5 and 6, on the demo where a user saw them wrong).
@Suite struct RecordingSpanTests {
    @Test func anIdleTailCountsInTheDurationAndTheBusyShareAndQueuesDrain() throws {
        let path = NSTemporaryDirectory() + "asynctop-span-\(UUID().uuidString).atrace"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // echo-server does its round in ~0.1 s, then waits 10 s for the next: 3 s is mostly idle.
        let recorded = try ChildProcess.run(
            asynctopPath, ["record", "--demo", "echo-server", "-o", path, "--duration", "3"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let stats = try ChildProcess.run(asynctopPath, ["stats", path, "--json"])
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        let duration = try #require(summary["duration_s"] as? Double)
        #expect(duration >= 2.9 && duration < 4, "duration \(duration) s for a 3 s recording")
        let loops = try #require(summary["loops"] as? [[String: Any]])
        #expect(loops.count == 2)
        for loop in loops {
            let busy = try #require(loop["busy_ratio"] as? Double)
            #expect(busy < 0.3, "busy \(busy) over 3 s, of which the work took ~0.1 s")
        }

        let replay = TraceReplay(reader: try TraceFileReader(path: path))
        #expect(replay.endNanoseconds - replay.startNanoseconds >= 2_900_000_000)
        for loop in replay.finalState.loops.values {
            #expect(
                loop.callbackQueueDepth == 0,
                "loop \(loop.id): every callback ran, yet \(loop.callbackQueueDepth) queued")
        }
        let verified = replay.finalState.counters["clients.verified"]
        #expect(verified == 100)
    }

    /// A flight recording keeps a window around each warning: the file says where its gaps are, `stats` leaves them
    /// out of its figures, and replay skips them (the 50 ms heartbeat's mean period read 91.5 ms over the gaps).
    @Test func aFlightRecordingsGapsAreKnownAndLeftOut() throws {
        let path = NSTemporaryDirectory() + "asynctop-flight-\(UUID().uuidString).atrace"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // blocking-callback warns in bursts every 2 s; 300 ms windows leave ~1.7 s between them.
        let recorded = try ChildProcess.run(
            asynctopPath,
            ["record", "--demo", "blocking-callback", "-o", path, "--duration", "7", "--last", "300ms", "--on-warning"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let reader = try TraceFileReader(path: path)
        #expect(reader.gaps.count >= 2, "\(reader.recordedWindows)")
        let stats = try ChildProcess.run(asynctopPath, ["stats", path, "--json"])
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        let gapSeconds = try #require(summary["gap_s"] as? Double)
        #expect(gapSeconds > 2, "\(gapSeconds) s of gaps")
        #expect(summary["gaps"] as? Int == reader.gaps.count)
        let timers = try #require(summary["timers"] as? [String: Any])
        let sites = try #require(timers["by_site"] as? [[String: Any]])
        let heartbeat = try #require(
            sites.first { ($0["site"] as? String)?.hasSuffix("BlockingCallback.swift:18") == true })
        let period = try #require(heartbeat["mean_period_ms"] as? Double)
        #expect(period > 40 && period < 80, "the 50 ms heartbeat's mean period: \(period) ms")
        let loops = try #require(summary["loops"] as? [[String: Any]])
        let busy = try #require(loops.first?["busy_ratio"] as? Double)
        #expect(busy > 0.2, "busy over the windows, which hold the 200 ms blocks: \(busy)")
        // The Overview's window (10 s: this whole recording) says the same busy share as the whole run: gaps are
        // left out of both (it read 11% against 56%).
        let state = TraceReplay(reader: reader).finalState
        let loop = try #require(state.loops.values.first)
        let window = state.window(of: loop, endingAt: state.nowNanoseconds / 1_000_000_000)
        let whole = state.busyRatio(of: loop, until: state.nowNanoseconds)
        #expect(abs(window.busyRatio - whole) < 0.25, "window \(window.busyRatio), whole run \(whole)")
        let text = try ChildProcess.run(asynctopPath, ["stats", path])
        #expect(text.stdout.contains("windows kept"), "\(text.stdout)")
    }
}
