import ArgumentParser

@main
struct AsyncTopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asynctop",
        abstract: "See an async runtime work: its loops, tasks, timers and callbacks, live or recorded.",
        subcommands: [ListCommand.self, EventsCommand.self]
    )
}
