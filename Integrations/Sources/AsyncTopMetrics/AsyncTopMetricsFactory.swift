import AsyncTopConcurrency
import CoreMetrics

/// A swift-metrics backend that writes every metric into asynctop's trace as a user counter, so the values of any
/// library that reports through swift-metrics (Hummingbird's `MetricsMiddleware` among them) appear in the
/// monitor's Overview next to the loops, in exports, and at `asynctop serve`'s `/metrics`:
/// `MetricsSystem.bootstrap(try AsyncTop.metricsFactory())`.
///
/// A metric is named `label{key=value,...}` from its label and dimensions; a timer's name ends in ` (ns)`. Each
/// change is written on the changing thread's ring (the concurrency tap's), as the metric's new value: a counter's
/// total, a meter's level, a recorder's or timer's latest sample.
///
/// Cost: making a handler allocates it; a change allocates nothing and takes no lock (an atomic update and one
/// event of the tap's).
public struct AsyncTopMetricsFactory: MetricsFactory {
    public let tap: ConcurrencyTap

    public init(tap: ConcurrencyTap) { self.tap = tap }

    private func name(_ label: String, _ dimensions: [(String, String)], suffix: String = "") -> MetricName {
        MetricName(label: label, dimensions: dimensions, suffix: suffix, tap: tap)
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        CounterValue(name: name(label, dimensions))
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        FloatingValue(name: name(label, dimensions))
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        FloatingValue(name: name(label, dimensions))
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        RecordedValue(name: name(label, dimensions))
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        RecordedValue(name: name(label, dimensions, suffix: " (ns)"))
    }

    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}
}

extension AsyncTop {
    /// A swift-metrics backend writing into the concurrency tap's trace (installing the tap if needed; see
    /// `AsyncTopMetricsFactory`).
    public static func metricsFactory(tap: ConcurrencyTap? = nil) throws(ConcurrencyTapError) -> AsyncTopMetricsFactory {
        if let tap { return AsyncTopMetricsFactory(tap: tap) }
        return AsyncTopMetricsFactory(tap: try traceConcurrency())
    }
}
