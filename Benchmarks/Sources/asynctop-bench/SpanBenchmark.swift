import ArgumentParser
import AsyncTopConcurrency
import AsyncTopTrace
import AsyncTopTracing
import Tracing

/// `asynctop-bench spans`: what one request's span costs through swift-distributed-tracing, asynctop's tracer
/// against the no-op tracer every library falls back to, in the same run. A span is what Hummingbird's
/// `TracingMiddleware` does per request: start a server span, set seven attributes in one `updateAttributes`,
/// rename it after routing, set three more attributes, end it. Median of 9 runs of 100 000 spans on one thread,
/// the region not read meanwhile.
///
/// - `ns_per_span_asynctop`, `ns_per_span_noop`: the whole span, each tracer; `ns_per_span_added`, their
///   difference (what asynctop adds per request).
/// - `allocations_per_span_asynctop`, `_noop`: heap allocations per span (malloc-interposer), 10 000 spans.
struct SpanBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spans", abstract: "A request's span: asynctop's tracer against the no-op tracer.")

    @OptionGroup var options: ReportOptions

    static let spans = 100_000

    func run() throws {
        AllocationCounter.ensurePreloaded()
        let tap = try AsyncTop.traceConcurrency(region: try Region())
        let asynctop = AsyncTopTracer(tap: tap)
        let noop = NoOpTracer()
        let perSpanAsynctop = Measurement.medianNanosecondsPerOperation(runs: 9, operations: Self.spans) {
            Self.requests(asynctop, Self.spans)
        }
        let perSpanNoop = Measurement.medianNanosecondsPerOperation(runs: 9, operations: Self.spans) {
            Self.requests(noop, Self.spans)
        }
        let allocationsAsynctop = Measurement.allocationsPerOperation(operations: 10_000) {
            Self.requests(asynctop, 10_000)
        }
        let allocationsNoop = Measurement.allocationsPerOperation(operations: 10_000) { Self.requests(noop, 10_000) }
        var report = BenchmarkReport(
            title: "spans: a request span as Hummingbird's TracingMiddleware makes it, 100 000 per run")
        report.add("ns_per_span_noop", perSpanNoop, "ns", "baseline: swift-distributed-tracing's NoOpTracer")
        report.add("ns_per_span_asynctop", perSpanAsynctop, "ns")
        report.add("ns_per_span_added", perSpanAsynctop - perSpanNoop, "ns")
        report.add("allocations_per_span_noop", allocationsNoop, "")
        report.add("allocations_per_span_asynctop", allocationsAsynctop, "")
        report.print(json: options.json)
    }

    /// `count` request spans through `tracer`, as the middleware makes them.
    static func requests<T: Tracing.Tracer>(_ tracer: T, _ count: Int) {
        for index in 0..<count {
            let span = tracer.startSpan("HTTP GET route not found", context: .topLevel, ofKind: .server)
            span.updateAttributes { attributes in
                attributes["http.request.method"] = "GET"
                attributes["url.path"] = "/fast"
                attributes["url.query"] = nil as String?
                attributes["user_agent.original"] = "wrk"
                attributes["http.request.body.size"] = nil as Int?
                attributes["net.sock.peer.port"] = 40_000 + index % 32
                attributes["net.sock.peer.addr"] = "127.0.0.1"
            }
            span.operationName = "/fast"
            span.updateAttributes { attributes in
                attributes["http.route"] = "/fast"
                attributes["http.response.status_code"] = 200
                attributes["http.response.body.size"] = 3
            }
            span.end()
        }
    }
}
