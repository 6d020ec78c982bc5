import ArgumentParser
import AsyncTopExport
import AsyncTopTrace

#if canImport(Glibc)
    import Glibc
#endif

/// `asynctop export FILE --format chrome|perfetto|csv -o OUT`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Convert a recording for Perfetto (ui.perfetto.dev), chrome://tracing, or pandas.",
        discussion: "perfetto: protobuf TrackEvent; chrome: JSON trace events; csv: one row per event.")

    @Argument(help: "A .atrace file.")
    var file: String

    @Option(help: "chrome, perfetto or csv.")
    var format: String

    @Option(name: .shortAndLong, help: "The file to write.")
    var output: String

    func run() throws {
        guard let format = TraceExport.Format(rawValue: format) else {
            throw ValidationError("--format must be one of: chrome, perfetto, csv")
        }
        let reader = try openTrace(file)
        for problem in reader.problems { printToStandardError("asynctop: warning: \(problem)") }
        let terminal = isatty(2) == 1
        var shown = -1
        let result: TraceExport.Result
        do {
            result = try TraceExport.run(reader, format: format, to: output) { fraction in
                guard terminal else { return }
                let percent = Int(fraction * 100)
                guard percent != shown else { return }
                shown = percent
                let width = 30
                let filled = width * percent / 100
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                printToStandardError("\rexporting [\(bar)] \(percent)%", newline: false)
            }
        } catch {
            throw CommandFailure(message: error.description)
        }
        if terminal { printToStandardError("") }
        printToStandardError(
            "wrote \(output): \(result.events) events, \(result.bytes) bytes"
                + (format == .csv ? "" : ", \(result.flows) flows"))
    }
}
