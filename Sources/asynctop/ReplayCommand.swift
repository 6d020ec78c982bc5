import ArgumentParser
import AsyncTopModel
import AsyncTopTrace
import AsyncTopUI

/// `asynctop replay FILE`: the monitor's views over a recording, in recorded time.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Play a recording back in the monitor.",
        discussion: "space play/pause, + - speed (x0.1 to x100), [ ] seek 1 s, { } seek 10 s, w next warning.")

    @Argument(help: "A .atrace file.")
    var file: String

    @OptionGroup var monitor: MonitorOptions

    func run() throws {
        do { try MonitorApp.checkTerminal() } catch { throw CommandFailure(message: error.description, exitCode: 2) }
        let reader = try openTrace(file)
        for problem in reader.problems { printToStandardError("asynctop: warning: \(problem)") }
        let replay = TraceReplay(
            reader: reader, thresholds: monitor.thresholds, retentionNanoseconds: UInt64(monitor.retentionSeconds * 1e9)
        )
        let app = MonitorApp(
            feed: ReplayFeed(replay: replay), label: "replay \(TerminalSafeText.make(file))", options: monitor.app)
        do { try app.run() } catch { throw CommandFailure(message: error.description, exitCode: 2) }
    }
}
