import ArgumentParser
import Foundation

/// `--asynctop`: the asynctop binary a benchmark runs as a separate process, built with -c release; checked before
/// the benchmark starts.
struct AsynctopBinary: ParsableArguments {
    @Option(name: .customLong("asynctop"), help: "The asynctop binary, built with -c release.")
    var path = "../.build/release/asynctop"

    /// The absolute path, for commands started elsewhere (a tmux session, a shell).
    var absolutePath: String { URL(fileURLWithPath: path).standardizedFileURL.path }

    func validate() throws {
        guard access(path, X_OK) == 0 else {
            throw ValidationError("\(path) is not an executable: build it first (swift build -c release)")
        }
    }
}
