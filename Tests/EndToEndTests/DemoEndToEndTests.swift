import Foundation
import Testing

/// Demos in the real binary, in tmux: the tour, the caption, and step mode.
@Suite(.serialized) struct DemoEndToEndTests {
    @Test func stepModeRunsExactlyOneItemPerKey() throws {
        let tmux = try Tmux("\(asynctopPath) demo blocking-callback", columns: 120, rows: 40, environment: ["LANG": "C.UTF-8"])
        var screen = try tmux.waitFor { $0.contains("blocking-callback") && $0.contains("heartbeat") }
        #expect(screen.contains("computes for 200 ms"))
        try tmux.type("s")
        screen = try tmux.waitFor { $0.contains("loop held between items") }
        #expect(screen.contains("no item stepped yet"))
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
        try tmux.type("c")
        screen = try tmux.waitFor { !$0.contains("computes for 200 ms") }
        #expect(!screen.contains("computes for 200 ms"))
        try tmux.type("q")
        #expect(tmux.exitStatus() == 0)
    }

    @Test func theTourStartsWithNoArgumentsAndMovesOn() throws {
        let tmux = try Tmux("XDG_RUNTIME_DIR=/nonexistent-asynctop \(asynctopPath)", columns: 120, rows: 40, environment: ["LANG": "C.UTF-8"])
        var screen = try tmux.waitFor { $0.contains("tour 1/11: hello-gather") }
        #expect(screen.contains("tour 1/11: hello-gather"))
        try tmux.type("n")
        screen = try tmux.waitFor { $0.contains("tour 2/11: blocking-callback") }
        #expect(screen.contains("tour 2/11: blocking-callback"))
        try tmux.type("q")
        #expect(tmux.exitStatus() == 0)
    }
}
