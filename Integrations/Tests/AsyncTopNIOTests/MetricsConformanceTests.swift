import AsyncTopConcurrency
import AsyncTopMetrics
import AsyncTopModel
import AsyncTopTrace
import Metrics
import Testing

/// The swift-metrics backend against the vocabulary: real metrics through swift-metrics' API, each change a
/// `counter` event (name: the metric's name, arg: its value as a two's-complement Int64), and the model's user
/// counters showing the latest values.
@Suite("AsyncTopMetricsFactory writes user counters as the vocabulary says")
struct MetricsConformanceTests {
    @Test("counters, meters, recorders and timers, with dimensions; names follow a region change")
    func metrics() async throws {
        let tap = try AsyncTop.traceConcurrency()
        let region = try Region(layout: RegionLayout(ringCount: 16, ringCapacity: 1 << 14, namesCapacity: 1 << 16))
        tap.trace(into: region)
        let factory = try AsyncTop.metricsFactory(tap: tap)
        let requests = Counter(label: "requests", dimensions: [("method", "GET")], factory: factory)
        let inFlight = Meter(label: "in_flight", factory: factory)
        let size = Recorder(label: "body_bytes", factory: factory)
        let duration = Metrics.Timer(label: "duration", factory: factory)
        await Task {
            requests.increment(by: 3)
            // Made again, as a library that makes its metrics per request does: the same running total.
            Counter(label: "requests", dimensions: [("method", "GET")], factory: factory).increment()
            inFlight.set(5)
            inFlight.decrement(by: 7)
            size.record(1_500)
            size.record(2.6)
            duration.recordNanoseconds(42_000)
        }.value

        var batch = EventBatch()
        let source = InProcessSource(region: region)
        _ = source.read(into: &batch, limit: .max)
        let counters = batch.events.filter {
            $0.kind == .counter && source.names.string(for: $0.name) != "swift.pool.width"
        }
        let written = counters.map { (source.names.string(for: $0.name) ?? "?", Int64(bitPattern: $0.arg)) }
        #expect(
            written.map(\.0) == [
                "requests{method=GET}", "requests{method=GET}", "in_flight", "in_flight", "body_bytes", "body_bytes",
                "duration (ns)"
            ])
        #expect(written.map(\.1) == [3, 4, 5, -2, 1_500, 3, 42_000])

        var aggregator = Aggregator(calibration: source.info.calibration)
        aggregator.ingest(batch, names: source.names)
        #expect(aggregator.state.counters["requests{method=GET}"] == 4)
        #expect(aggregator.state.counters["in_flight"] == -2)

        // After the tap moves to another region, the same metric's name is interned there.
        let next = try Region(layout: RegionLayout(ringCount: 16, ringCapacity: 1 << 14, namesCapacity: 1 << 16))
        tap.trace(into: next)
        await Task { requests.increment() }.value
        let nextSource = InProcessSource(region: next)
        batch.removeAll()
        _ = nextSource.read(into: &batch, limit: .max)
        let moved = try #require(batch.events.last { $0.kind == .counter && $0.arg == 5 })
        #expect(nextSource.names.string(for: moved.name) == "requests{method=GET}")
    }
}
