import ArgumentParser

@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asynctop-bench",
        abstract: "Measures asynctop against its baselines in the same run; prints a table, or JSON with --json.",
        subcommands: [
            TraceBenchmark.self, UIBenchmark.self, FileBenchmark.self, LoopBenchmark.self, ConcurrencyBenchmark.self,
            ServerBenchmark.self, SpanBenchmark.self, ServeBenchmark.self, ServeProducer.self,
            LoadBenchmark.self, SoakBenchmark.self
        ]
    )
}

/// Options every benchmark takes.
struct ReportOptions: ParsableArguments {
    @Flag(help: "Print one JSON object instead of a table.")
    var json = false
}
