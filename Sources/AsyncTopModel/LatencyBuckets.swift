/// A loop's scheduling delays over its whole life in fixed buckets (1, 2.5, 5 × powers of ten from 1 µs to 10 s):
/// exact counts at each bound, as a Prometheus histogram needs them (`le` means "at most"), where the latency
/// histogram's bins (1/16 wide) would only place a bound within its bin. Never reset.
///
/// Cost: one `record` per delay, a scan of the bounds that stops at the first one not below it (5 compares for a
/// delay of ~10 µs), no allocation after the first.
public struct LatencyBuckets: Sendable, Hashable {
    /// The buckets' upper bounds in nanoseconds, ascending; a last bucket counts what is above them all.
    public static let boundsNanoseconds: [UInt64] = {
        var bounds: [UInt64] = []
        var decade: UInt64 = 1_000
        while decade <= 1_000_000_000 {
            bounds += [decade, decade * 5 / 2, decade * 5]
            decade *= 10
        }
        return bounds + [10_000_000_000]
    }()

    /// Delays per bucket (not cumulative): `boundsNanoseconds.count + 1` of them, the last above every bound.
    public private(set) var counts: [UInt64] = []
    public private(set) var count: UInt64 = 0
    public private(set) var sumNanoseconds: UInt64 = 0

    public init() {}

    public mutating func record(_ nanoseconds: UInt64) {
        if counts.isEmpty { counts = Array(repeating: 0, count: Self.boundsNanoseconds.count + 1) }
        var index = 0
        let bounds = Self.boundsNanoseconds
        while index < bounds.count, bounds[index] < nanoseconds { index += 1 }
        counts[index] += 1
        count += 1
        sumNanoseconds &+= nanoseconds
    }

    /// How many delays were at most each bound, in the order of `boundsNanoseconds` (the +Inf bucket is `count`).
    public var cumulativeCounts: [UInt64] {
        var running: UInt64 = 0
        return Self.boundsNanoseconds.indices.map { index in
            running += counts.isEmpty ? 0 : counts[index]
            return running
        }
    }
}
