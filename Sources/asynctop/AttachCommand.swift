import ArgumentParser
import AsyncTopTrace
import AsyncTopUI

#if canImport(Glibc)
    import Glibc
#endif

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
        try runMonitor(
            source: source, label: "pid \(source.info.pid) \(TerminalSafeText.make(source.info.processName))",
            options: monitor)
    }

    /// Opens a region by pid or path, turning errors into a clear message; a recording given instead of a region is
    /// pointed at `replay`.
    static func open(_ target: String, directory: String) throws -> AttachedSource {
        if Int32(target) == nil, isRecording(target) {
            throw CommandFailure(
                message:
                    "\(TerminalSafeText.make(target)) is a recording, not a live region: play it with `asynctop "
                    + "replay \(TerminalSafeText.make(target))`"
            )
        }
        do {
            if let pid = Int32(target) { return try AttachedSource(pid: pid, directory: directory) }
            return try AttachedSource(path: target)
        } catch {
            throw CommandFailure(message: error.description)
        }
    }

    /// Whether `path` starts like an `.atrace` file.
    private static func isRecording(_ path: String) -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: TraceFileFormat.magic.count)
        return read(fd, &head, head.count) == head.count && head == TraceFileFormat.magic
    }
}

/// Runs the monitor, mapping "no terminal" to exit status 2 with a message on stderr.
func runMonitor(source: any Source, label: String, options: MonitorOptions, configure: (MonitorApp) -> Void = { _ in })
    throws
{
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
