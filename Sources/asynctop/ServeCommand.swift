import ArgumentParser
import AsyncTopServe
import AsyncTopTrace
import CAsyncTopSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `asynctop serve`: a headless exporter of every publishing process's figures for Prometheus (see
/// `FleetExporter`), until SIGINT or SIGTERM.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Export the figures of every process that publishes its trace at /metrics, for Prometheus.",
        discussion: """
            Attaches to every process of this user that publishes a trace (new ones as they appear; one that \
            ends is dropped after the next scrape has seen it end) and serves /metrics in the Prometheus text \
            format, or OpenMetrics when the scraper asks for it. Listens on loopback only unless --allow-remote \
            is given: the metrics name your processes.
            """)

    @Option(help: "HOST:PORT to listen on (an IPv4 address; port 0 picks a free one, printed at start).")
    var listen: String = "127.0.0.1:9464"

    @Flag(help: "Allow a non-loopback --listen address (anyone who can reach it reads the metrics).")
    var allowRemote = false

    @Option(parsing: .upToNextOption, help: "Watch only these processes (default: every one that publishes).")
    var pid: [Int32] = []

    @Option(
        help: ArgumentHelp(
            "Directory to look in (default: $XDG_RUNTIME_DIR/asynctop, else /dev/shm/asynctop-$UID, else "
                + "/tmp/asynctop-$UID).")
    )
    var directory: String = RegionDirectory.defaultPath

    @OptionGroup var rules: RuleOptions

    func run() throws {
        let address: ListenAddress
        switch ListenAddress.parse(listen) {
        case .success(let parsed): address = parsed
        case .failure(let error): throw CommandFailure(message: "--listen: \(error.message)", exitCode: 64)
        }
        guard address.isLoopback || allowRemote else {
            throw CommandFailure(
                message:
                    "--listen \(address) is not a loopback address; add --allow-remote to serve your processes' "
                    + "metrics to other hosts",
                exitCode: 64)
        }
        let published = try RegionDirectory.regionFiles(directory: directory)
        for pid in pid where !published.contains(where: { $0.pid == pid }) {
            throw CommandFailure(
                message: "process \(pid) publishes no trace in \(directory) (`asynctop list` shows those that do)")
        }
        signal(SIGPIPE, SIG_IGN)
        asynctop_install_stop_signals()
        let exporter: FleetExporter
        do {
            exporter = try FleetExporter(
                listen: address, directory: directory, pids: pid.isEmpty ? nil : Set(pid), thresholds: rules.thresholds,
                log: { printToStandardError("asynctop serve: " + TerminalSafeText.make($0)) })
        } catch {
            throw CommandFailure(message: "cannot listen on \(address): \(error)")
        }
        printToStandardError("asynctop serve: metrics at http://\(exporter.address)/metrics")
        while !asynctop_stop_requested() { usleep(100_000) }
        exporter.stop()
    }
}
