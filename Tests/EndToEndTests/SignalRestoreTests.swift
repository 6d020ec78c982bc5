import AsyncTopTestSupport
import Foundation
import Testing

/// The terminal is the user's again after every way the monitor can be stopped by a signal (issue 15.4): the
/// shell's terminal settings (`stty -g`) are the same before and after, and the screen is the shell's.
@Suite(.serialized) struct SignalRestoreTests {
    @Test(arguments: ["INT", "TERM", "HUP", "SEGV", "ABRT"])
    func theTerminalIsRestoredAfter(_ signal: String) throws {
        let directory = NSTemporaryDirectory() + "asynctop-stty-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A marker in the command line finds this monitor and no other.
        let marker = "retention-s 10.\(Int.random(in: 100_000...999_999))"
        // No core file and no Swift backtrace for the signals that crash: their time is not what is tested here.
        let tmux = try Tmux(
            "ulimit -c 0; stty -g > \(directory)/before; \(asynctopPath) demo hello-gather --\(marker); stty -g > "
                + "\(directory)/after",
            columns: 100, rows: 30, environment: ["LANG": "C.UTF-8", "SWIFT_BACKTRACE": "enable=no"])
        _ = try tmux.waitFor { $0.contains("hello-gather") && $0.contains("Overview") }
        // Anchored: the shell running the command line holds the marker too.
        let killed = try ChildProcess.run(
            "/usr/bin/pkill", ["-\(signal)", "-f", "^\(asynctopPath) demo hello-gather --\(marker)"])
        #expect(killed.status == 0, "no monitor to signal")
        // The status is written after the second `stty -g` has finished writing.
        #expect(tmux.exitStatus(timeout: 30) == 0, "\((try? tmux.screen()) ?? "")")
        let before = try String(contentsOfFile: directory + "/before", encoding: .utf8)
        let after = try String(contentsOfFile: directory + "/after", encoding: .utf8)
        #expect(!before.isEmpty && before == after, "SIG\(signal): stty before \(before) after \(after)")
        let screen = try tmux.waitFor { !$0.contains("Overview") }
        #expect(!screen.contains("Overview"), "the monitor's screen is still up after SIG\(signal): \(screen)")
    }
}
