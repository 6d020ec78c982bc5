/// A loop's scheduling delays over its whole life in fixed buckets (1, 2.5, 5 × powers of ten from 1 µs to 10 s):
/// exact counts at each bound, as a Prometheus histogram needs them (`le` means "at most"), where the latency
/// histogram's bins (1/16 wide) would only place a bound within its bin. Never reset.
///
/// Cost: one `record` per delay, a few compares (about 10 for a delay of ~10 µs), no allocation after the first.
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
        counts[Self.index(of: nanoseconds)] += 1
        count += 1
        sumNanoseconds &+= nanoseconds
    }

    /// The bucket of a delay: the first bound not below it, computed the way `boundsNanoseconds` is built (no
    /// array access on the hot path: reading a static array retains and releases it).
    @inline(__always)
    static func index(of nanoseconds: UInt64) -> Int {
        var decade: UInt64 = 1_000
        var index = 0
        while decade <= 1_000_000_000 {
            if nanoseconds <= decade { return index }
            if nanoseconds <= decade * 5 / 2 { return index + 1 }
            if nanoseconds <= decade * 5 { return index + 2 }
            decade *= 10
            index += 3
        }
        return nanoseconds <= 10_000_000_000 ? index : index + 1
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
