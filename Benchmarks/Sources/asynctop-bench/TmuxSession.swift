import ArgumentParser
import AsyncTopTestSupport
import Foundation

/// A command running in a detached tmux session of a given size: a real pseudo-terminal for the benchmarks that
/// measure the monitor drawing with ncurses (`ui`, `soak`). `end()` it when done (a `defer` where it starts).
struct TmuxSession {
    let name: String
    /// The pid of the command in the session's pane (started with `exec`, so it is the command itself).
    let panePID: Int32

    init(_ command: String, name: String, columns: Int = 120, rows: Int = 40) throws {
        self.name = name
        let started = try Self.tmux([
            "new-session", "-d", "-s", name, "-x", String(columns), "-y", String(rows), "exec \(command)"
        ])
        guard started.status == 0 else { throw ValidationError("tmux could not start \(command): \(started.stderr)") }
        let listed = try Self.tmux(["display", "-p", "-t", name, "#{pane_pid}"])
        guard let pid = Int32(listed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            _ = try? Self.tmux(["kill-session", "-t", name])
            throw ValidationError("no pane in tmux session \(name): \(listed.stderr)")
        }
        panePID = pid
    }

    /// Ends the session and the command in it.
    func end() { _ = try? Self.tmux(["kill-session", "-t", name]) }

    private static func tmux(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try ChildProcess.run("/usr/bin/env", ["tmux"] + arguments)
    }

}
