import CoreMetrics
import Synchronization

// The handlers `AsyncTopMetricsFactory` makes: each keeps its metric's current value and writes it, as a user
// counter, on every change. asynctop's user counters are integers: floating-point values are rounded.
// Threading: any thread (atomics). Cost per change: one atomic update and one event; no allocation, no lock.

/// A counter: its running total.
final class CounterValue: CounterHandler, Sendable {
    let name: MetricName
    private let total = Atomic<Int64>(0)
    init(name: MetricName) { self.name = name }

    func increment(by amount: Int64) { name.emit(total.wrappingAdd(amount, ordering: .relaxed).newValue) }
    func reset() {
        total.store(0, ordering: .relaxed)
        name.emit(0)
    }
}

/// A floating-point value held as its bits: a counter's total, or a meter's (gauge's) level.
final class FloatingValue: FloatingPointCounterHandler, MeterHandler, Sendable {
    let name: MetricName
    private let bits = Atomic<UInt64>(0.0.bitPattern)
    init(name: MetricName) { self.name = name }

    private func update(_ change: (Double) -> Double) {
        var old = bits.load(ordering: .relaxed)
        while true {
            let new = change(Double(bitPattern: old))
            let (exchanged, seen) = bits.compareExchange(expected: old, desired: new.bitPattern, ordering: .relaxed)
            if exchanged { return name.emit(Int64(exactly: new.rounded()) ?? (new < 0 ? .min : .max)) }
            old = seen
        }
    }

    func increment(by amount: Double) { update { $0 + amount } }
    func decrement(by amount: Double) { update { $0 - amount } }
    func set(_ value: Double) { update { _ in value } }
    func set(_ value: Int64) { update { _ in Double(value) } }
    func reset() { update { _ in 0 } }
}

/// A recorder (a gauge, or a histogram's samples) or a timer (nanoseconds): each value recorded is written as it
/// comes, so the trace holds every sample and the user counter shows the latest.
final class RecordedValue: RecorderHandler, TimerHandler, Sendable {
    let name: MetricName
    init(name: MetricName) { self.name = name }

    func record(_ value: Int64) { name.emit(value) }
    func record(_ value: Double) { name.emit(Int64(exactly: value.rounded()) ?? (value < 0 ? .min : .max)) }
    func recordNanoseconds(_ duration: Int64) { name.emit(duration) }
}
