import ArgumentParser

struct AsyncTopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asynctop",
        abstract: "See an async runtime work: its loops, tasks, timers and callbacks, live or recorded.",
        subcommands: [AttachCommand.self, ListCommand.self, EventsCommand.self]
    )
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
