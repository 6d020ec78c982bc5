import Histogram

/// A latency distribution in nanoseconds, of fixed and small size (hdrhistogram-swift, UInt32 counts, one
/// significant digit: values within 1/16 of each other may share a bin; ~1.5 KiB). Values above an hour are
/// clamped. Loops keep one per second and merge them for windows and whole-run figures; tasks keep their own.
public struct LatencyHistogram: Sendable {
    private var histogram: Histogram<UInt32>
    static let highestNanoseconds: UInt64 = 3_600_000_000_000

    public init() {
        self = Self.empty
    }

    /// The empty histogram every new or reset one starts as: its counts are shared until the first record copies
    /// them (one allocation and a 2.5 KiB copy). Building one with `Histogram.init`, or zeroing one with
    /// `Histogram.reset` (not inlinable, so it runs unspecialized: a witness-table call per count), costs ~10 µs.
    private static let empty = LatencyHistogram(
        histogram: Histogram(
            lowestDiscernibleValue: 1, highestTrackableValue: highestNanoseconds, numberOfSignificantValueDigits: .one))

    private init(histogram: Histogram<UInt32>) {
        self.histogram = histogram
    }

    public mutating func record(_ nanoseconds: UInt64) {
        _ = histogram.record(Swift.min(Swift.max(nanoseconds, 1), Self.highestNanoseconds))
    }

    public mutating func add(_ other: LatencyHistogram) { histogram.add(other.histogram) }
    /// Empties the histogram: O(1), its storage is released (see `empty`).
    public mutating func reset() { self = Self.empty }

    public var count: UInt64 { histogram.totalCount }
    public var max: UInt64 { count == 0 ? 0 : histogram.max }
    public var min: UInt64 { count == 0 ? 0 : histogram.min }
    public var mean: Double { count == 0 ? 0 : histogram.mean }

    /// The value at `percentile` (0–100), or 0 when empty.
    public func percentile(_ percentile: Double) -> UInt64 {
        count == 0 ? 0 : histogram.valueAtPercentile(percentile)
    }

    /// Counts in `buckets` logarithmic bins from `lowest`, doubling each time (for drawing); the last bin takes
    /// everything above. Each recorded value is counted once, in the bin of its bucket's middle: a bucket of the
    /// histogram can straddle a bin's bound (`Histogram.count(within:)` counts it on both sides), so the bins add up
    /// to `count`.
    public func logBins(from lowest: UInt64, count buckets: Int) -> [(upTo: UInt64, count: UInt64)] {
        guard buckets > 0 else { return [] }
        var bins: [(upTo: UInt64, count: UInt64)] = []
        var upper = lowest
        for _ in 0..<buckets {
            bins.append((upper, 0))
            upper = upper > UInt64.max / 2 ? .max : upper * 2
        }
        for recorded in histogram.recordedValues() {
            let middle = histogram.medianEquivalentForValue(recorded.value)
            let bin = bins.firstIndex { middle <= $0.upTo } ?? buckets - 1
            bins[bin].count += UInt64(recorded.count)
        }
        return bins
    }
}
