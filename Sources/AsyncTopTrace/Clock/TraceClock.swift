import CAsyncTopSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The trace clock: raw monotonic ticks for producers, converted to nanoseconds only by readers.
///
/// On x86-64 Linux with the kernel's clocksource set to `tsc` and the CPU flags `constant_tsc` and
/// `nonstop_tsc`, a tick is one TSC count (`rdtsc`, ~7 ns in a VM, no syscall, no vDSO call); the TSC then
/// runs at a fixed rate across cores and power states, which is what the kernel itself relied on when it
/// chose it. Otherwise a tick is one nanosecond of `CLOCK_MONOTONIC`. `ASYNCTOP_CLOCK=monotonic` forces
/// the latter.
public enum TraceClock {
    /// Which hardware the ticks come from.
    public enum Kind: UInt32, Sendable {
        case monotonic = 1
        case tsc = 2
    }

    /// The clock chosen for this process (decided once, on first use).
    public static var kind: Kind {
        asynctop_clock_select() != 0 ? .tsc : .monotonic
    }

    /// Current ticks. No allocation, no lock, no syscall when the TSC is used.
    @inlinable @inline(__always)
    public static func now() -> UInt64 { asynctop_now_ticks() }

    /// Current ticks of a given clock kind: for reading another process's timebase on this machine.
    public static func now(of kind: Kind) -> UInt64 {
        kind == .tsc ? asynctop_read_tsc() : asynctop_monotonic_ns()
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    @inlinable
    public static func monotonicNanoseconds() -> UInt64 { asynctop_monotonic_ns() }

    /// The calibration of this process's clock, measured once (about 20 ms of spinning if the TSC is used).
    public static let calibration: ClockCalibration = ClockCalibration.measure()
}

/// How to turn ticks into time: written into every region and trace file header, so readers in other
/// processes and later replays convert exactly as the producer's machine would.
public struct ClockCalibration: Hashable, Sendable {
    public var kind: TraceClock.Kind
    /// Nanoseconds per tick (1 for CLOCK_MONOTONIC).
    public var nanosecondsPerTick: Double {
        didSet { nanosecondsPerTickFixed = Self.fixedPoint(nanosecondsPerTick) }
    }
    /// `nanosecondsPerTick` × 2^40, so that conversion is an integer multiply: converting through `Double`
    /// costs two range-checked int/float conversions, a third of the monitor's per-event time. Relative
    /// error ≤ 2^-41 / nanosecondsPerTick (a few ns over an hour of TSC ticks).
    @usableFromInline var nanosecondsPerTickFixed: UInt64
    /// Raw ticks at the epoch: event times are ticks since this value.
    public var epochTicks: UInt64
    /// CLOCK_MONOTONIC nanoseconds at the epoch.
    public var epochMonotonicNanoseconds: UInt64
    /// Wall-clock (Unix) nanoseconds at the epoch.
    public var epochUnixNanoseconds: UInt64

    public init(
        kind: TraceClock.Kind, nanosecondsPerTick: Double, epochTicks: UInt64,
        epochMonotonicNanoseconds: UInt64, epochUnixNanoseconds: UInt64
    ) {
        self.kind = kind
        self.nanosecondsPerTick = nanosecondsPerTick
        nanosecondsPerTickFixed = Self.fixedPoint(nanosecondsPerTick)
        self.epochTicks = epochTicks
        self.epochMonotonicNanoseconds = epochMonotonicNanoseconds
        self.epochUnixNanoseconds = epochUnixNanoseconds
    }

    /// Nanoseconds for a duration or an event time (ticks since the epoch).
    @inlinable
    public func nanoseconds(_ ticks: UInt64) -> UInt64 {
        let product = ticks.multipliedFullWidth(by: nanosecondsPerTickFixed)
        return product.high &<< 24 | product.low &>> 40
    }

    static func fixedPoint(_ nanosecondsPerTick: Double) -> UInt64 {
        let scaled = (nanosecondsPerTick * 1_099_511_627_776).rounded()
        return scaled.isFinite && scaled >= 1 && scaled < 1.8e19 ? UInt64(scaled) : 1 << 40
    }

    /// Ticks for a duration in nanoseconds.
    @inlinable
    public func ticks(nanoseconds: UInt64) -> UInt64 {
        UInt64(Double(nanoseconds) / nanosecondsPerTick)
    }

    /// This process's calibration with the epoch set to now.
    public static func current() -> ClockCalibration {
        var c = TraceClock.calibration
        c.epochTicks = TraceClock.now()
        c.epochMonotonicNanoseconds = asynctop_monotonic_ns()
        c.epochUnixNanoseconds = unixNanoseconds()
        return c
    }

    /// Measures ns/tick against CLOCK_MONOTONIC. Each sample brackets a TSC read between two monotonic
    /// reads and keeps the tightest bracket, so scheduling noise does not skew the rate.
    static func measure() -> ClockCalibration {
        let kind = TraceClock.kind
        let unix = unixNanoseconds()
        guard kind == .tsc else {
            let now = asynctop_monotonic_ns()
            return ClockCalibration(
                kind: .monotonic, nanosecondsPerTick: 1, epochTicks: now, epochMonotonicNanoseconds: now,
                epochUnixNanoseconds: unix)
        }
        func pairedRead() -> (ticks: UInt64, ns: UInt64) {
            var best: (ticks: UInt64, ns: UInt64, width: UInt64) = (0, 0, .max)
            for _ in 0..<32 {
                let before = asynctop_monotonic_ns()
                let ticks = asynctop_read_tsc()
                let after = asynctop_monotonic_ns()
                if after &- before < best.width { best = (ticks, before + (after &- before) / 2, after &- before) }
            }
            return (best.ticks, best.ns)
        }
        let start = pairedRead()
        let spinUntil = start.ns + 20_000_000
        while asynctop_monotonic_ns() < spinUntil {}
        let end = pairedRead()
        let rate = Double(end.ns - start.ns) / Double(max(end.ticks &- start.ticks, 1))
        return ClockCalibration(
            kind: .tsc, nanosecondsPerTick: rate, epochTicks: start.ticks, epochMonotonicNanoseconds: start.ns,
            epochUnixNanoseconds: unix)
    }

    static func unixNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
