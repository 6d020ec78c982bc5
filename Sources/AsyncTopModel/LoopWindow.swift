/// A loop's figures over the sliding window every consumer shows (the monitor's Overview, `asynctop serve`'s
/// gauges), so that they agree: latency over every second of the window, rates and busy share over its completed
/// seconds (the current one is partial) that the loop was alive in, whether or not it wrote anything in them.
///
/// Cost: O(window) merges of a second's latency histogram; meant for a frame or a scrape, not per event.
public struct LoopWindow: Sendable {
    /// The window's length in seconds.
    public static let seconds = 10

    public var latency = LatencyHistogram()
    public var busy: UInt64 = 0
    public var ioBusy: UInt64 = 0
    public var ticks: UInt64 = 0
    public var itemsRun: UInt64 = 0
    public var events: UInt64 = 0
    /// Completed seconds of the window the loop was alive in, less its gaps (at least 1, the divisor of the rates).
    public var seconds: Double = 1
    /// Busy share of the completed seconds (0…1).
    public var busyRatio: Double { min(1, Double(busy) / (seconds * 1e9)) }

    /// `gaps`: stretches the trace has no events of (`RuntimeState.gaps`, a flight recording's), left out of the
    /// seconds the rates and busy share are over (`RuntimeState.window(of:endingAt:)` passes them).
    public init(_ loop: LoopState, endingAt nowSecond: UInt64, gaps: [ClosedRange<UInt64>]) {
        let window = loop.seconds.window(endingAt: nowSecond, count: Self.seconds)
        let completed = window.dropLast()
        for second in window.compactMap({ $0 }) { latency.add(second.latency) }
        for second in completed.compactMap({ $0 }) {
            busy += second.busyNanoseconds
            ioBusy += second.ioBusyNanoseconds
            ticks += second.ticks
            itemsRun += second.itemsRun
            events += second.events
        }
        // Every completed second the loop was alive in counts, with events or without: a loop idle since a burst
        // has a low rate, not the burst's.
        let firstSecond = nowSecond - min(nowSecond, UInt64(Self.seconds - 1))
        let startSecond = max(firstSecond, (loop.startedNanoseconds ?? 0) / 1_000_000_000)
        let endSecond = min(nowSecond, loop.stoppedNanoseconds.map { $0 / 1_000_000_000 + 1 } ?? nowSecond)
        let (start, end) = (startSecond * 1_000_000_000, endSecond * 1_000_000_000)
        let span = end - min(end, start)
        seconds = max(1, Double(span - min(span, RuntimeState.nanoseconds(in: gaps, from: start, to: end))) / 1e9)
    }
}
