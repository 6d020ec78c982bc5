/// Per-second buckets over a sliding window of trace time: the last `capacity` seconds, each a `Value`.
/// Writing into a second reuses the slot of the second `capacity` earlier. Fixed memory; O(1) writes.
public struct SecondBuckets<Value>: Sendable where Value: Sendable {
    public struct Slot: Sendable {
        public var second: UInt64
        public var value: Value
    }
    private var slots: [Slot]
    private let empty: Value
    private let retire: @Sendable (inout Value, Value) -> Void
    /// Every second that has left the window, merged by `retire`: with the window, the whole history.
    public private(set) var retired: Value
    /// The latest second written.
    public private(set) var latestSecond: UInt64 = 0

    /// `capacity` must be a power of two (a slot is found with a mask, not a division).
    public init(capacity: Int, empty: Value, retire: @escaping @Sendable (inout Value, Value) -> Void) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        self.empty = empty
        self.retire = retire
        retired = empty
        slots = Array(repeating: Slot(second: .max, value: empty), count: capacity)
    }

    public var capacity: Int { slots.count }

    /// Mutates the bucket of `second`, clearing it first if it held an older second.
    public mutating func update(second: UInt64, _ body: (inout Value) -> Void) {
        let index = slot(of: second)
        if slots[index].second != second {
            guard slots[index].second == .max || second > slots[index].second else { return }
            if slots[index].second != .max { retire(&retired, slots[index].value) }
            slots[index] = Slot(second: second, value: empty)
        }
        latestSecond = Swift.max(latestSecond, second)
        body(&slots[index].value)
    }

    /// The value of `second`, or nil if it is not in the window (nothing was written in it).
    public func value(second: UInt64) -> Value? {
        let slot = slots[slot(of: second)]
        return slot.second == second ? slot.value : nil
    }

    private func slot(of second: UInt64) -> Int { Int(truncatingIfNeeded: second) & (slots.count - 1) }

    /// Every second written so far, merged by `retire`.
    public var merged: Value {
        var all = retired
        for slot in slots where slot.second != .max { retire(&all, slot.value) }
        return all
    }

    /// The `count` seconds ending at `last`, oldest first; seconds with no data give `nil`.
    public func window(endingAt last: UInt64, count: Int) -> [Value?] {
        let count = Swift.min(count, slots.count)
        return (0..<count).map { offset in
            let back = UInt64(count - 1 - offset)
            return last >= back ? value(second: last - back) : nil
        }
    }
}
