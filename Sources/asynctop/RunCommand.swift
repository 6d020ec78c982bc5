import ArgumentParser
import AsyncTopTrace
import AsyncTopUI

#if canImport(Glibc)
    import Glibc
#endif

/// `asynctop run [options] -- CMD ARGS...`: starts an unmodified, dynamically linked Swift program with the
/// concurrency tap preloaded and shows the monitor on it. The program's output goes to a log file (the monitor
/// owns the terminal); quitting the monitor ends the program if it still runs; asynctop exits with its status.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Swift program with its Concurrency tasks traced, and monitor it.",
        discussion: """
            The program must load the Swift runtime as a shared library (the default for `swift build`); one \
            built with -static-stdlib can call AsyncTop.traceConcurrency() itself and be attached to. Its output \
            goes to --log; asynctop exits with the program's exit status.
            """)

    @Option(help: "Where the program's standard output and error go (default: a file in the temporary directory).")
    var log: String?

    @OptionGroup var monitor: MonitorOptions

    @Argument(parsing: .postTerminator, help: "The program and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else {
            throw ValidationError("give the program to run after --, e.g. asynctop run -- .build/debug/server")
        }
    }

    func run() throws {
        let program = try RunCommand.inspect(command[0])
        let logPath = log ?? "/tmp/asynctop-run-\(getpid()).log"
        let child = try TracedChild(program, arguments: Array(command.dropFirst()), output: .file(logPath))
        let source: AttachedSource
        do { source = try child.attach() } catch {
            child.terminate()
            throw error
        }
        let name = TerminalSafeText.make(source.info.processName)
        do {
            try runMonitor(source: source, label: "pid \(child.pid) \(name)", options: monitor)
        } catch {
            child.terminate()
            throw error
        }
        let status = child.terminate()
        printToStandardError("\(name) exited with status \(status); its output is in \(logPath)")
        if status != 0 { throw ExitCode(status) }
    }

    /// Checks a program for the tap, turning a problem into exit status 2 with its explanation.
    static func inspect(_ command: String) throws -> SwiftProgram {
        do { return try SwiftProgram(command: command) } catch {
            throw CommandFailure(message: error.description, exitCode: 2)
        }
    }
}
