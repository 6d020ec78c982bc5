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
}
