import AsyncTopConcurrency
import AsyncTopTrace
import Synchronization

/// A swift-metrics metric's name in asynctop's trace (`label{key=value,...}`, as the user counter is shown), and its
/// name id in the tap's current region, interned on first use and again only after the tap moves to another region.
///
/// Threading: any thread. Cost: an atomic load and the tap's region generation (another) per use; interning (a
/// lock and a hash) the first time and after a region change.
final class MetricName: Sendable {
    let text: String
    private let tap: ConcurrencyTap
    /// The region generation (high half) and the name id in it (low half); 0: not interned yet.
    private let interned = Atomic<UInt64>(0)

    init(label: String, dimensions: [(String, String)], suffix: String = "", tap: ConcurrencyTap) {
        let labels = dimensions.isEmpty ? "" : "{" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
        text = label + labels + suffix
        self.tap = tap
    }

    var id: NameID {
        let generation = tap.regionGeneration
        let known = interned.load(ordering: .acquiring)
        if known != 0, UInt32(truncatingIfNeeded: known >> 32) == generation {
            return NameID(rawValue: UInt32(truncatingIfNeeded: known))
        }
        let id = tap.region.names.intern(text)
        interned.store(UInt64(generation) << 32 | UInt64(id.rawValue), ordering: .releasing)
        return id
    }

    /// Writes `value` as the user counter's new value on the calling thread's ring.
    func emit(_ value: Int64) {
        tap.emit(.counter, name: id, arg: UInt64(bitPattern: value))
    }
}
