import AsyncTopConcurrency
import CoreMetrics
import Synchronization

/// A swift-metrics backend that writes every metric into asynctop's trace as a user counter, so the values of any
/// library that reports through swift-metrics (Hummingbird's `MetricsMiddleware` among them) appear in the
/// monitor's Overview next to the loops, in exports, and at `asynctop serve`'s `/metrics`:
/// `MetricsSystem.bootstrap(try AsyncTop.metricsFactory())`.
///
/// A metric is named `label{key=value,...}` from its label and dimensions; a timer's name ends in ` (ns)`. Each
/// change is written on the changing thread's ring (the concurrency tap's), as the metric's new value: a counter's
/// total, a meter's level, a recorder's or timer's latest sample.
///
/// Handlers are kept by kind and name, so that a library that makes its metrics anew for each request (as
/// Hummingbird's `MetricsMiddleware` does) gets the same handler, and a counter its running total.
///
/// Cost: making a handler takes a lock and a lookup (and allocates the first time); a change allocates nothing and
/// takes no lock (an atomic update and one event of the tap's).
public struct AsyncTopMetricsFactory: MetricsFactory {
    public let tap: ConcurrencyTap
    private let handlers = Handlers()

    public init(tap: ConcurrencyTap) { self.tap = tap }

    private final class Handlers: Sendable {
        let byKey = Mutex<[String: any Sendable]>([:])
    }

    /// The handler of `kind` for this name, made by `make` the first time.
    private func handler<Handler: Sendable>(
        _ kind: String, _ label: String, _ dimensions: [(String, String)], suffix: String = "",
        _ make: (MetricName) -> Handler
    ) -> Handler {
        let name = MetricName(label: label, dimensions: dimensions, suffix: suffix, tap: tap)
        let key = kind + " " + name.text
        return handlers.byKey.withLock { byKey in
            if let known = byKey[key] as? Handler { return known }
            let made = make(name)
            byKey[key] = made
            return made
        }
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        handler("counter", label, dimensions, CounterValue.init)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)])
        -> any FloatingPointCounterHandler
    {
        handler("floating counter", label, dimensions, FloatingValue.init)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        handler("meter", label, dimensions, FloatingValue.init)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        handler("recorder", label, dimensions, RecordedValue.init)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        handler("timer", label, dimensions, suffix: " (ns)", RecordedValue.init)
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
    public static func metricsFactory(tap: ConcurrencyTap? = nil) throws(ConcurrencyTapError) -> AsyncTopMetricsFactory
    {
        if let tap { return AsyncTopMetricsFactory(tap: tap) }
        return AsyncTopMetricsFactory(tap: try traceConcurrency())
    }
}
