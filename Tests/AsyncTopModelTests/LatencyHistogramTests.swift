import AsyncTopModel
import Testing

/// The task detail's histogram bars count every poll once (issue 16.7: a task with 2 polls showed 3 samples, and
/// fan-out's coordinator 6 185 for 5 969 polls: a value near a bin's bound was counted on both sides).
@Suite struct LatencyHistogramTests {
    @Test func binsAddUpToTheCountAndPutEachValueInOneBin() {
        var histogram = LatencyHistogram()
        histogram.record(4_100)  // just above the 4 µs bound, in a bucket that straddles it
        histogram.record(14_300)
        let bins = histogram.logBins(from: 1_000, count: 5)
        #expect(bins.map(\.upTo) == [1_000, 2_000, 4_000, 8_000, 16_000])
        #expect(bins.map(\.count) == [0, 0, 0, 1, 1], "\(bins)")

        var many = LatencyHistogram()
        var value: UInt64 = 977
        for _ in 0..<6_000 {
            value = value &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            many.record(1_000 + value % 300_000)
        }
        #expect(many.logBins(from: 1_000, count: 10).reduce(0) { $0 + $1.count } == many.count)
    }
}
