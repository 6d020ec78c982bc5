import AsyncTopTrace
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A program started by `asynctop run` or `asynctop record -- CMD` with the concurrency tap preloaded
/// (LD_PRELOAD of `libAsyncTopConcurrencyPreload.so`, found beside the asynctop executable or named by
/// `ASYNCTOP_PRELOAD_LIBRARY`). The tap publishes the child's region before its main runs; `attach()` waits for
/// that region. A thread of ours reaps the child as soon as it exits, so that the attached source sees it gone
/// (a zombie would still answer `kill(pid, 0)`) and its exit status is kept to be passed on.
final class TracedChild: Sendable {
    let pid: pid_t
    let program: SwiftProgram
    private let status = Mutex<Int32?>(nil)
    private let reaped = DispatchSemaphore(value: 0)

    /// Where the child's standard output and error go: the terminal (headless recording) or a file (the
    /// monitor owns the terminal).
    enum Output {
        case inherit
        case file(String)
    }

    init(_ program: SwiftProgram, arguments: [String], output: Output) throws {
        let preload = try Self.preloadLibrary()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if case .file(let path) = output {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = [preload, environment["LD_PRELOAD"]].compactMap { $0 }.filter { !$0.isEmpty }
            .joined(separator: ":")
        environment["ASYNCTOP_PUBLISH"] = nil
        let argv = ([program.path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, program.path, &actions, nil, argv, envp)
        guard result == 0 else {
            throw CommandFailure(
                message: "cannot start \(program.path): \(String(cString: strerror(result)))", exitCode: 2)
        }
        pid = child
        self.program = program
        let thread = Thread { [self] in
            var raw: Int32 = 0
            while waitpid(self.pid, &raw, 0) == -1 && errno == EINTR {}
            let signal = raw & 0x7F
            status.withLock { $0 = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal }
            reaped.signal()
        }
        thread.start()
    }

    /// The child's exit status (128 + signal if a signal ended it), once it has exited.
    var exitStatus: Int32? { status.withLock { $0 } }

    /// Waits for the child's region to appear and attaches to it. Fails if the child exits first (it may have
    /// refused an unsupported runtime, with its own message) or the region does not appear within `timeout`.
    func attach(directory: String = RegionDirectory.defaultPath, timeout: Double = 10) throws -> AttachedSource {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let source = try? AttachedSource(pid: pid, directory: directory) { return source }
            if let code = exitStatus {
                throw CommandFailure(
                    message: "\(program.path) exited with status \(code) before its trace was published",
                    exitCode: code == 0 ? 2 : code)
            }
            usleep(5_000)
        }
        terminate()
        throw CommandFailure(
            message:
                "\(program.path) did not publish its trace within \(Int(timeout)) s (is the tap library the one "
                + "built with this asynctop?)",
            exitCode: 2)
    }

    /// Ends the child if it still runs (SIGTERM, then SIGKILL after 5 s) and returns its exit status.
    @discardableResult
    func terminate() -> Int32 {
        if exitStatus == nil {
            kill(pid, SIGTERM)
            if reaped.wait(timeout: .now() + 5) == .timedOut { kill(pid, SIGKILL) }
        }
        return wait()
    }

    /// Waits for the child to exit; its exit status.
    func wait() -> Int32 {
        if let code = exitStatus { return code }
        reaped.wait()
        reaped.signal()
        return exitStatus ?? 1
    }

    private static func preloadLibrary() throws -> String {
        if let given = ProcessInfo.processInfo.environment["ASYNCTOP_PRELOAD_LIBRARY"], !given.isEmpty { return given }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let library = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(
            "libAsyncTopConcurrencyPreload.so"
        ).path
        guard FileManager.default.fileExists(atPath: library) else {
            throw CommandFailure(
                message:
                    "the tap library \(library) is missing: build it with `swift build --product "
                    + "AsyncTopConcurrencyPreload` (scripts/run does)",
                exitCode: 2)
        }
        return library
    }
}
