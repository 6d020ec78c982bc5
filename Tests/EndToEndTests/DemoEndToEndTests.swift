import Foundation
import Testing

/// Demos in the real binary, in tmux: the tour, the caption, and step mode.
@Suite(.serialized) struct DemoEndToEndTests {
    @Test func stepModeRunsExactlyOneItemPerKey() throws {
        let tmux = try Tmux(
            "\(asynctopPath) demo blocking-callback", columns: 120, rows: 40, environment: ["LANG": "C.UTF-8"])
        var screen = try tmux.waitFor { $0.contains("blocking-callback") && $0.contains("heartbeat") }
        #expect(screen.contains("computes for 200 ms"))
        try tmux.type("s")
        screen = try tmux.waitFor { $0.contains("loop held between items") && $0.contains("  held  ") }
        #expect(screen.contains("no item stepped yet"))
        // Held for 3 s: the loop says so, and the hold is nobody's fault: no warning comes of it.
        func warnings(_ screen: String) -> Int? {
            screen.split(separator: "\n").first.flatMap { line in
                line.components(separatedBy: "warnings ").last.flatMap { Int($0.prefix { $0.isNumber }) }
            }
        }
        let before = try #require(warnings(screen))
        usleep(3_000_000)
        screen = try tmux.screen()
        #expect(screen.contains("  held  "), "\(screen)")
        #expect(warnings(screen) == before, "holding the loop raised warnings: \(screen)")
        for number in 1...4 {
            try tmux.type("n")
            screen = try tmux.waitFor(5) { $0.contains("step \(number): ran") }
            #expect(screen.contains("step \(number): ran"), "\(screen)")
            #expect(!screen.contains("step \(number + 1): ran"))
            #expect(screen.contains("queues  callbacks"))
        }
        // Held: nothing else runs, so no further step appears on its own.
        usleep(300_000)
        #expect(try tmux.screen().contains("step 4: ran"))
        try tmux.send("Escape")
        screen = try tmux.waitFor { !$0.contains("loop held between items") }
        #expect(!screen.contains("loop held"))
        // Let go, the loop does not run the firings that fell due while held back to back: the warnings go on at
        // the demo's pace (~3 a second), not by a burst (they went from 10 to 158 in 1.5 s).
        let released = try #require(warnings(screen))
        usleep(1_500_000)
        let after = try #require(warnings(try tmux.screen()))
        #expect(after - released <= 15, "warnings went from \(released) to \(after) in 1.5 s after step mode")
        try tmux.type("c")
        screen = try tmux.waitFor { !$0.contains("computes for 200 ms") }
        #expect(!screen.contains("computes for 200 ms"))
        try tmux.type("q")
        #expect(tmux.exitStatus() == 0)
    }

    /// Help at 40x12 reaches every key: ↓ scrolls it to the last one (it showed 8 of 17 keys, then said how many it
    /// left out with no way to see them).
    @Test func helpScrollsToEveryKeyInASmallWindow() throws {
        let tmux = try Tmux(
            "\(asynctopPath) demo hello-gather", columns: 40, rows: 12, environment: ["LANG": "C.UTF-8"])
        _ = try tmux.waitFor { $0.contains("asynctop") }
        try tmux.type("?")
        var screen = try tmux.waitFor { $0.contains("Keys") }
        #expect(screen.contains("more") && !screen.contains("Ctrl-C"), "\(screen)")
        for _ in 0..<40 { try tmux.send("Down") }
        screen = try tmux.waitFor { $0.contains("Ctrl-C") }
        #expect(screen.contains("q  Ctrl-C") && screen.contains("above"), "\(screen)")
        try tmux.type("x")  // any other key closes it
        screen = try tmux.waitFor { !$0.contains("Keys") }
        #expect(!screen.contains("Keys"), "\(screen)")
        try tmux.type("q")
        #expect(tmux.exitStatus() == 0)
    }

    @Test func theTourStartsWithNoArgumentsAndMovesOn() throws {
        let tmux = try Tmux(
            "XDG_RUNTIME_DIR=/nonexistent-asynctop \(asynctopPath)", columns: 120, rows: 40,
            environment: ["LANG": "C.UTF-8"])
        var screen = try tmux.waitFor { $0.contains("tour 1/11: hello-gather") }
        #expect(screen.contains("tour 1/11: hello-gather"))
        try tmux.type("n")
        screen = try tmux.waitFor { $0.contains("tour 2/11: blocking-callback") }
        #expect(screen.contains("tour 2/11: blocking-callback"))
        try tmux.type("q")
        #expect(tmux.exitStatus() == 0)
    }
}
