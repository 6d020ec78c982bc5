import ArgumentParser
import AsyncTopDemos
import AsyncTopTrace

struct AsyncTopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asynctop",
        abstract: "See an async runtime work: its loops, tasks, timers and callbacks, live or recorded.",
        discussion: """
            With no subcommand: attaches to the only process publishing its trace, lists them if there are \
            several, and otherwise starts the demo tour.
            """,
        subcommands: [
            DemoCommand.self, AttachCommand.self, RunCommand.self, ReplayCommand.self, RecordCommand.self,
            ExportCommand.self,
            StatsCommand.self, ListCommand.self, EventsCommand.self, ServeCommand.self
        ]
    )

    @OptionGroup var monitor: MonitorOptions

    /// No subcommand: the one live publisher, else a list of them, else the tour.
    func run() throws {
        let live = try RegionDirectory.list().filter { !$0.isStale && $0.pid != getpid() }
        if live.count == 1 {
            let source = try AttachCommand.open(live[0].path, directory: RegionDirectory.defaultPath)
            try runMonitor(
                source: source, label: "pid \(source.info.pid) \(TerminalSafeText.make(source.info.processName))",
                options: monitor)
        } else if live.count > 1 {
            print("Several processes publish their trace; attach to one with `asynctop attach PID`:")
            try ListCommand.parse([]).run()
        } else {
            try DemoCommand.tour(starting: DemoCatalog.all[0], only: false, monitor: monitor)
        }
    }
}

/// Entry point: runs the command; a `CommandFailure` prints its message alone and exits with its status.
@main
enum Main {
    static func main() {
        do {
            var command = try AsyncTopCommand.parseAsRoot()
            try command.run()
        } catch let failure as CommandFailure {
            printToStandardError("asynctop: " + failure.message)
            exit(failure.exitCode)
        } catch {
            AsyncTopCommand.exit(withError: error)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
