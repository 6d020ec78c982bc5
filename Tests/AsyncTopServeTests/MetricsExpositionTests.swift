import AsyncTopModel
import Testing

@testable import AsyncTopModel
@testable import AsyncTopServe

/// The exposition's text, line by line, in both formats.
@Suite struct MetricsExpositionTests {
    let counter = MetricsExposition.Family("x_events", .counter, "Events")
    let gauge = MetricsExposition.Family("x_ratio", .gauge, "A ratio")

    func text(_ format: MetricsExposition.Format, _ body: (inout MetricsExposition) -> Void) -> [String] {
        var exposition = MetricsExposition(format: format)
        body(&exposition)
        exposition.finish()
        return String(decoding: exposition.bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func countersCarryTotalAndOpenMetricsNamesTheFamilyWithoutIt() {
        let write: (inout MetricsExposition) -> Void = { exposition in
            exposition.begin(counter)
            exposition.sample(counter, [("pid", "7")], UInt64(42))
        }
        #expect(
            text(.prometheus, write) == [
                "# HELP x_events_total Events", "# TYPE x_events_total counter", "x_events_total{pid=\"7\"} 42"
            ])
        #expect(
            text(.openMetrics, write) == [
                "# HELP x_events Events", "# TYPE x_events counter", "x_events_total{pid=\"7\"} 42", "# EOF"
            ])
    }

    @Test func labelValuesAreEscapedAndKeptOnOneLine() {
        let lines = text(.prometheus) { exposition in
            exposition.begin(gauge)
            exposition.sample(gauge, [("process", "a\"b\\c\nd\u{1B}[31me")], 0.5)
        }
        #expect(lines.last == #"x_ratio{process="a\"b\\c\nd [31me"} 0.5"#)
    }

    @Test func numbersAsBothFormatsReadThem() {
        #expect(MetricsExposition.number(.infinity) == "+Inf")
        #expect(MetricsExposition.number(-.infinity) == "-Inf")
        #expect(MetricsExposition.number(.nan) == "NaN")
        #expect(MetricsExposition.number(3) == "3")
        #expect(MetricsExposition.number(2.5e-6) == "2.5e-06")
        #expect(MetricsExposition.number(0.25) == "0.25")
    }

    @Test func histogramsWriteCumulativeBucketsInfCountAndSum() {
        let family = MetricsExposition.Family("x_seconds", .histogram, "Delays")
        let lines = text(.prometheus) { exposition in
            exposition.begin(family)
            exposition.histogram(family, [], bounds: ["0.001", "0.01"], cumulativeCounts: [2, 5], count: 6, sum: 1.5)
        }
        #expect(
            Array(lines.dropFirst(2)) == [
                #"x_seconds_bucket{le="0.001"} 2"#, #"x_seconds_bucket{le="0.01"} 5"#,
                #"x_seconds_bucket{le="+Inf"} 6"#,
                "x_seconds_count 6", "x_seconds_sum 1.5"
            ])
    }

    @Test func theScraperChoosesTheFormat() {
        // What Prometheus 2.42 sends.
        let prometheus =
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
            + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        #expect(MetricsExposition.Format.negotiated(accept: prometheus) == .openMetrics)
        #expect(MetricsExposition.Format.negotiated(accept: "text/plain") == .prometheus)
        #expect(MetricsExposition.Format.negotiated(accept: "application/openmetrics-text; q=0") == .prometheus)
        #expect(MetricsExposition.Format.negotiated(accept: nil) == .prometheus)
    }
}

/// Whole-life delay buckets: exact at their bounds, as `le` means.
@Suite struct LatencyBucketsTests {
    @Test func boundsRunFromAMicrosecondToTenSeconds() {
        let bounds = LatencyBuckets.boundsNanoseconds
        #expect(bounds.prefix(4) == [1_000, 2_500, 5_000, 10_000])
        #expect(bounds.last == 10_000_000_000)
        #expect(bounds == bounds.sorted())
    }

    @Test func eachBoundIsTheLastDelayOfItsBucket() {
        for (index, bound) in LatencyBuckets.boundsNanoseconds.enumerated() {
            #expect(LatencyBuckets.index(of: bound) == index)
            #expect(LatencyBuckets.index(of: bound + 1) == index + 1)
        }
        #expect(LatencyBuckets.index(of: 0) == 0)
    }

    @Test func aDelayAtABoundCountsAtItAndOneAboveInTheNext() {
        var buckets = LatencyBuckets()
        buckets.record(1_000)
        buckets.record(1_001)
        buckets.record(20_000_000_000)
        let cumulative = buckets.cumulativeCounts
        #expect(cumulative[0] == 1 && cumulative[1] == 2)
        #expect(cumulative.last == 2)
        #expect(buckets.count == 3)
        #expect(buckets.sumNanoseconds == 20_000_002_001)
    }
}

/// Request heads as `MetricsHTTPServer` reads them.
@Suite struct HTTPRequestTests {
    @Test func theRequestLineAndHeadersAreRead() throws {
        let head = "GET /metrics?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept:  text/plain\r\nConnection: close"
        let request = try #require(MetricsHTTPServer.parse(head))
        #expect(request.method == "GET" && request.path == "/metrics")
        #expect(request.headers["accept"] == "text/plain" && request.headers["connection"] == "close")
    }

    @Test func malformedHeadsAreRefused() {
        #expect(MetricsHTTPServer.parse("GET /metrics") == nil)
        #expect(MetricsHTTPServer.parse("GET /metrics SPDY/3") == nil)
        #expect(MetricsHTTPServer.parse("GET / HTTP/1.1\r\nno colon here") == nil)
    }

    @Test func theHeadEndsAtTheFirstBlankLine() {
        #expect(MetricsHTTPServer.headerEnd(Array("GET / HTTP/1.1\r\n\r\nGET".utf8)) == 14)
        #expect(MetricsHTTPServer.headerEnd(Array("GET / HTTP/1.1\r\n".utf8)) == nil)
    }
}
