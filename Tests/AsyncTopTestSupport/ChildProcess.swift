import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process for tests, started with `posix_spawn` and reaped with `waitpid`.
///
/// Written by hand instead of using Foundation's `Process`: on Linux, `Process.waitUntilExit()` relies on
/// a SIGCHLD handler noticing the exit, and in a long test run it was seen to miss one and wait for ever on
/// a child that had already exited (a zombie nobody reaped), which hung CI. `waitpid` on the child's own
/// pid cannot miss it. Output goes to files, not pipes, so a chatty child can never block on a full pipe.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let stdoutPath: String
    private let stderrPath: String
    private var exitStatus: Int32?

    /// Starts `executable` (an absolute path) with `arguments`; stdin is /dev/null. `environment` entries
    /// are added to this process's environment.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let stem = NSTemporaryDirectory() + "child-\(UUID().uuidString)"
        stdoutPath = stem + ".out"
        stderrPath = stem + ".err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        var variables = ProcessInfo.processInfo.environment
        variables.merge(environment) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, nil, argv, envp)
        guard result == 0 else {
            throw NSError(
                domain: "ChildProcess", code: Int(result),
                userInfo: [
                    NSLocalizedDescriptionKey: "cannot start \(executable): \(String(cString: strerror(result)))"
                ])
        }
        pid = child
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            _ = wait()
        }
        try? FileManager.default.removeItem(atPath: stdoutPath)
        try? FileManager.default.removeItem(atPath: stderrPath)
    }

    /// Runs a command to its end; returns its exit status and what it wrote.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let child = try ChildProcess(executable, arguments, environment: environment)
        let status = child.wait()
        return (status, child.stdout, child.stderr)
    }

    /// Waits for the child to exit; its exit code, or 128 + the signal that ended it.
    @discardableResult
    public func wait() -> Int32 {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return reaped(status)
    }

    /// Waits at most `timeout` seconds for the child to exit: what `wait()` returns, or nil if it still runs.
    public func wait(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while exitStatus == nil {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return reaped(status) }
            guard Date() < deadline else { return nil }
            usleep(20_000)
        }
        return exitStatus
    }

    private func reaped(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        let code = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        exitStatus = code
        return code
    }

    /// Sends `signal` to the child.
    public func send(_ signal: Int32) { kill(pid, signal) }

    /// Everything the child wrote to stdout so far.
    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    /// Everything the child wrote to stderr so far.
    public var stderr: String {
        String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: stderrPath))) ?? Data(), as: UTF8.self)
    }
    /// Raw stdout bytes.
    public var stdoutData: Data { (try? Data(contentsOf: URL(fileURLWithPath: stdoutPath))) ?? Data() }
}
