import ArgumentParser
import AsyncTopTrace
import AsyncTopUI

/// `asynctop attach PID|FILE`: the monitor on another process's published region, read-only.
struct AttachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach", abstract: "Monitor another process that publishes its trace (read-only).")

    @Argument(help: "A pid, or the path of a region file (see `asynctop list`).")
    var target: String

    @Option(help: "Directory of region files, for a pid.")
    var directory: String = RegionDirectory.defaultPath

    @OptionGroup var monitor: MonitorOptions

    func run() throws {
        let source = try Self.open(target, directory: directory)
        try runMonitor(source: source, label: "pid \(source.info.pid) \(TerminalSafeText.make(source.info.processName))", options: monitor)
    }

    /// Opens a region by pid or path, turning errors into a clear message.
    static func open(_ target: String, directory: String) throws -> AttachedSource {
        do {
            if let pid = Int32(target) { return try AttachedSource(pid: pid, directory: directory) }
            return try AttachedSource(path: target)
        } catch {
            throw CommandFailure(message: error.description)
        }
    }
}

/// Runs the monitor, mapping "no terminal" to exit status 2 with a message on stderr.
func runMonitor(source: any Source, label: String, options: MonitorOptions, configure: (MonitorApp) -> Void = { _ in }) throws {
    let app = MonitorApp(source: source, label: label, options: options.app)
    configure(app)
    do {
        try app.run()
    } catch {
        throw CommandFailure(message: error.description, exitCode: 2)
    }
}

/// A failure with a message for stderr and an exit status; no stack, no usage text.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32 = 1
    var description: String { message }
}
