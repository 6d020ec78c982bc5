import AsyncTopModel
import AsyncTopTestSupport
import AsyncTopTrace
import AsyncTopUI
import Foundation
import Testing

/// Replay's transport: the position follows wall time × speed, and `w` lands on each warning in turn, selected.
@Suite struct ReplayFeedTests {
    /// A recording (1 tick = 1 ns) of one loop: a short callback every 100 ms for 5 s, and two that block it (at
    /// 1.0 s and 3.0 s, 50 and 60 ms), each followed in the same write by events that reach past its warning.
    static func recording() throws -> String {
        let path = NSTemporaryDirectory() + "replay-feed-\(UUID().uuidString).atrace"
        let info = SourceInfo(
            pid: 1, processName: "scripted", processStartTime: 0, vocabulary: EventKind.vocabularyVersion,
            calibration: ScriptedTrace.calibration, ringCount: 1, ringCapacity: 1 << 12)
        let writer = try TraceFileWriter(path: path, info: info)
        let names = ScriptedNames()
        let ring = RingIdentity(index: 0, threadID: 7, loop: 0)
        var id: UInt64 = 0
        for second in 0..<5 {
            var batch = EventBatch()
            batch.rings = [ring]
            batch.missedByRing = [0]
            for tenth in 0..<10 {
                let start = UInt64(second * 1000 + tenth * 100) * 1_000_000
                let length: UInt64 = tenth == 0 && (second == 1 || second == 3) ? (second == 1 ? 50 : 60) : 1
                id += 1
                batch.events.append(
                    TraceEvent(
                        time: start, kind: .callbackBegan, loop: 0, name: names.id("tick.swift:3"), id: id, arg: 0))
                batch.events.append(
                    TraceEvent(
                        time: start + length * 1_000_000, kind: .callbackEnded, loop: 0, name: .none, id: id, arg: 0))
            }
            batch.segments = [EventBatch.Segment(ring: ring, range: 0..<batch.events.count)]
            try writer.append(batch, names: names)
        }
        try writer.finish()
        return path
    }

    @Test func wLandsOnEachWarningInTurnAndSelectsIt() throws {
        let path = try Self.recording()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let replay = TraceReplay(reader: try TraceFileReader(path: path))
        let blocking = replay.warningMarks
        #expect(blocking.count == 2)
        let feed = ReplayFeed(replay: replay)
        var monitor = MonitorState(sourceLabel: "replay")
        // The AT column says the moment of the run, as the header's clock does.
        for (index, expected) in ["00:01.0", "00:03.0"].enumerated() {
            #expect(feed.handle(.character("w"), &monitor))
            let state = feed.state
            #expect(monitor.view == .warnings)
            #expect(state.totals.warnings == UInt64(index + 1), "the state holds the warning it landed on")
            // The row drawn selected (reversed) is that warning, its group open if it has others.
            var canvas = MemoryCanvas(rows: 24, columns: 100)
            Screen.draw(state, &monitor, on: &canvas)
            let selected = try #require(
                canvas.cells.dropFirst(3).first { row in row.contains { $0.style.reverse } }.map {
                    $0.map(\.text).joined()
                })
            #expect(
                selected.contains(expected) && selected.contains("blocking"),
                "\(selected)\n\(canvas.text)")
            // The status line says which warning `w` is on.
            let status = feed.status(width: 100, glyphs: .unicode)?.text ?? ""
            #expect(status.contains("warning \(index + 1)/2"), "\(status)")
        }
        // No third warning: w stays where it is.
        let position = replay.position
        #expect(feed.handle(.character("w"), &monitor))
        #expect(replay.position == position)
    }

    @Test func playingAtOneTimesFollowsWallTimeWhateverTheUpdatesBetweenFrames() throws {
        let path = try Self.recording()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let replay = TraceReplay(reader: try TraceFileReader(path: path))
        let feed = ReplayFeed(replay: replay)
        let start = replay.position
        var wall: UInt64 = 1_000_000_000
        feed.update(wallNanoseconds: wall, final: true)
        // 2 s of wall time: an update every 10 ms, a frame every 50 ms (the app reads between frames).
        for step in 1...200 {
            wall += 10_000_000
            feed.update(wallNanoseconds: wall, final: step % 5 == 0)
        }
        #expect(replay.position - start == 2_000_000_000)
    }
}
