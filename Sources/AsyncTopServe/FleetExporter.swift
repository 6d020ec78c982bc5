import AsyncTopModel
import AsyncTopRuntime
import AsyncTopTrace

/// `asynctop serve` as a running thing: a `WatchedFleet` read on asynctop's own event loop, and its figures served
/// at `/metrics` (`FleetMetrics`, `MetricsExposition`) by `MetricsHTTPServer` on the same loop, so that a scrape
/// and a read never run at once and nothing needs a lock.
///
/// The loop's own trace goes to a private region (not published): the exporter does not export itself.
public final class FleetExporter: @unchecked Sendable {
    public let address: ListenAddress
    private let loop: EventLoop
    private let region: Region
    private let fleet: WatchedFleet
    private let log: @Sendable (String) -> Void
    /// How often the directory is listed for new processes.
    static let discoveryInterval = Duration.seconds(1)

    /// Binds the listener (throws if the address is taken) and starts watching and serving.
    public init(
        listen: ListenAddress, directory: String, pids: Set<Int32>?, thresholds: WarningThresholds,
        log: @escaping @Sendable (String) -> Void
    ) throws {
        let listener = try TCPListener(host: listen.host, port: listen.port)
        address = ListenAddress(host: listen.host, port: listener.port)
        region = try Region(
            layout: RegionLayout(ringCount: 1, ringCapacity: 1 << 12, namesCapacity: 1 << 14),
            processName: "asynctop serve")
        loop = try EventLoop(name: "asynctop-serve", region: region)
        fleet = WatchedFleet(directory: directory, pids: pids, thresholds: thresholds)
        self.log = log
        _ = MetricsHTTPServer(listener: listener, on: loop) { [self] request in respond(to: request) }
        loop.execute { [self] in
            discover()
            loop.scheduleRepeating(every: Self.discoveryInterval) { [self] _ in discover() }
            readDue()
        }
    }

    /// Stops serving and reading; the listener and connections are closed with the loop.
    public func stop() {
        loop.shutdown()
        region.close()
    }

    private func discover() {
        for message in fleet.discover(nowNanoseconds: LoopDeadline.now().uptimeNanoseconds) { log(message) }
    }

    /// Reads the processes that are due, then sleeps until the next is.
    private func readDue() {
        let now = LoopDeadline.now().uptimeNanoseconds
        let next = fleet.ingestDue(nowNanoseconds: now)
        loop.schedule(after: .nanoseconds(Int64(next - min(next, now)))) { [self] in readDue() }
    }

    private func respond(to request: MetricsHTTPServer.Request) -> MetricsHTTPServer.Response {
        switch request.path {
        case "/metrics":
            let format = MetricsExposition.Format.negotiated(accept: request.headers["accept"])
            var exposition = MetricsExposition(format: format)
            FleetMetrics.write(fleet.scrape(nowNanoseconds: LoopDeadline.now().uptimeNanoseconds), into: &exposition)
            exposition.finish()
            return .init(status: 200, contentType: format.contentType, body: exposition.bytes)
        case "/":
            return .init(status: 200, body: Array("asynctop serve: the metrics are at /metrics\n".utf8))
        default:
            return .init(status: 404, body: Array("not found: asynctop serve answers /metrics\n".utf8))
        }
    }
}
