import AsyncTopTestSupport
import Foundation

/// Drives a program in a detached tmux session, as a person at a terminal would: type keys, read the screen.
final class Tmux {
    let session: String
    let rawOutput: String

    /// Starts `command` in a new session of `columns`×`rows`; its exit status goes to `statusFile`.
    init(_ command: String, columns: Int, rows: Int, environment: [String: String] = [:]) throws {
        session = "asynctop-e2e-\(UUID().uuidString.prefix(8))"
        rawOutput = NSTemporaryDirectory() + session + ".raw"
        let exports = environment.map { "export \($0.key)='\($0.value)'; " }.joined()
        let wrapped = "\(exports)\(command); echo \"EXIT=$?\" > \(statusFile); sleep 30"
        try Self.run(["new-session", "-d", "-s", session, "-x", String(columns), "-y", String(rows), wrapped])
        // Every byte the program writes to the terminal, for the no-escape-sequences check.
        try Self.run(["pipe-pane", "-t", session, "-o", "cat >> \(rawOutput)"])
    }

    var statusFile: String { NSTemporaryDirectory() + session + ".status" }

    deinit {
        _ = try? Self.run(["kill-session", "-t", session])
        try? FileManager.default.removeItem(atPath: statusFile)
        try? FileManager.default.removeItem(atPath: rawOutput)
    }

    /// Runs a tmux command; returns what it printed. Bounded: a tmux client talking to a server that is
    /// going away must not hang the suite.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let result = try ChildProcess.run("/usr/bin/env", ["timeout", "20", "tmux"] + arguments)
        return result.stdout + result.stderr
    }

    func send(_ keys: String...) throws { try Self.run(["send-keys", "-t", session] + keys) }

    /// Types text literally (no key-name interpretation).
    func type(_ text: String) throws { try Self.run(["send-keys", "-t", session, "-l", text]) }

    func screen() throws -> String { try Self.run(["capture-pane", "-p", "-t", session]) }

    func resize(columns: Int, rows: Int) throws {
        try Self.run(["resize-window", "-t", session, "-x", String(columns), "-y", String(rows)])
    }

    /// Waits until the screen satisfies `condition` and is a whole frame, up to `timeout` seconds; returns the
    /// last screen. A capture can catch a frame half written (the new view's top over the old one's bottom), so
    /// a screen counts only when a second capture 30 ms later is the same.
    @discardableResult
    func waitFor(_ timeout: Double = 10, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) {
                usleep(30_000)
                if try screen() == last { return last }
                continue
            }
            usleep(100_000)
        }
        return last
    }

    /// The program's exit status once it has exited, waiting up to `timeout` seconds.
    func exitStatus(timeout: Double = 10) -> Int? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: statusFile, encoding: .utf8),
                let value = Int(text.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return value
            }
            usleep(100_000)
        }
        return nil
    }

    /// Raw bytes the program wrote to its terminal.
    var raw: Data { (try? Data(contentsOf: URL(fileURLWithPath: rawOutput))) ?? Data() }
}

/// The built `asynctop` (the test bundle sits beside it).
var asynctopPath: String {
    URL(
        fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
    )
    .deletingLastPathComponent().appendingPathComponent("asynctop").path
}
