import Atomics

/// One reader's cursor over one ring. Any number of readers (in this process or others) can each hold their
/// own: reading never writes to the ring, so readers never slow the producer or each other.
///
/// Overwrite detection is seqlock style: copy the slots, then re-read the head. Every event the producer may
/// have overwritten during the copy is discarded and counted, so a reader receives only whole, untorn events
/// and `delivered + missed` equals exactly what the producer wrote up to the reader's cursor. The price is one
/// slot: of a full ring a reader takes the newest `capacity - 1` events, since the oldest slot may be the one
/// the producer is overwriting at that moment.
public struct RingReader: @unchecked Sendable {
    let head: UnsafeAtomic<UInt64>
    let slots: UnsafeMutablePointer<AtomicWordStorage>
    let capacity: UInt64
    /// Index of the next event this reader will copy.
    public private(set) var cursor: UInt64
    /// Events this reader lost to overwriting since it was created.
    public private(set) var missed: UInt64 = 0

    /// A reader over the ring whose header is at `ringHeader`. `fromStart` false skips what is already there.
    init(ringHeader: UnsafeRawPointer, capacity: Int, fromStart: Bool = true) {
        let mutable = UnsafeMutableRawPointer(mutating: ringHeader)
        self.head = UnsafeAtomic(
            at: (mutable + RegionLayout.RingField.head).assumingMemoryBound(to: AtomicWordStorage.self))
        self.slots = (mutable + RegionLayout.ringHeaderSize).assumingMemoryBound(to: AtomicWordStorage.self)
        self.capacity = UInt64(capacity)
        self.cursor = 0
        if !fromStart { cursor = head.load(ordering: .acquiring) }
    }

    /// For a reader that came after the ring wrapped: moves the cursor to the oldest event the ring still holds,
    /// plus a margin of an eighth of the ring (what the producer may write while the reader catches up), so that
    /// what was overwritten before the reader came is not counted as missed. Returns that event's time (read
    /// without checking for overwrite: an estimate, for choosing where every ring's history starts), or nil if the
    /// ring has not wrapped.
    mutating func startAtOldestRetained() -> UInt64? {
        let published = head.load(ordering: .acquiring)
        guard published >= capacity else { return nil }
        cursor = published - capacity + 1 + capacity / 8
        let slot = slots + Int(truncatingIfNeeded: (cursor & (capacity - 1)) &<< 2)
        return UnsafeAtomic<UInt64>(at: slot).load(ordering: .relaxed)
    }

    /// The producer's published head: how many events it has written in all.
    public var producedCount: UInt64 { head.load(ordering: .acquiring) }

    /// Copies up to `limit` new events onto the end of `events`. Returns how many were appended and how many
    /// were found missed during this call.
    @discardableResult
    public mutating func read(into events: inout [TraceEvent], limit: Int = .max) -> (delivered: Int, missed: UInt64) {
        let published = head.load(ordering: .acquiring)
        var missedNow: UInt64 = 0
        if published < cursor {
            // Only a producer that went back in time (a reset or hostile region) does this: start over there.
            cursor = published
            return (0, 0)
        }
        var start = cursor
        if published - start > capacity {
            missedNow += published - capacity - start
            start = published - capacity
        }
        let count = Int(min(published - start, UInt64(max(limit, 0))))
        guard count > 0 else {
            missed &+= missedNow
            cursor = start
            return (0, missedNow)
        }
        let firstAppended = events.count
        events.reserveCapacity(firstAppended + count)
        let mask = capacity - 1
        // Copied out a block at a time into a stack buffer, then appended as a block: the per-event loop is
        // four loads and a store, with no array bookkeeping.
        withUnsafeTemporaryAllocation(of: TraceEvent.self, capacity: min(count, 1024)) { block in
            var index = start
            let stop = start + UInt64(count)
            while index < stop {
                let length = Int(min(stop - index, UInt64(block.count)))
                for offset in 0..<length {
                    let slot = slots + Int(truncatingIfNeeded: ((index + UInt64(offset)) & mask) &<< 2)
                    block[offset] = TraceEvent(
                        words: UnsafeAtomic<UInt64>(at: slot).load(ordering: .relaxed),
                        UnsafeAtomic<UInt64>(at: slot + 1).load(ordering: .relaxed),
                        UnsafeAtomic<UInt64>(at: slot + 2).load(ordering: .relaxed),
                        UnsafeAtomic<UInt64>(at: slot + 3).load(ordering: .relaxed))
                }
                events.append(contentsOf: UnsafeBufferPointer(rebasing: block[0..<length]))
                index += UInt64(length)
            }
        }
        atomicMemoryFence(ordering: .acquiring)
        let after = head.load(ordering: .relaxed)
        // The slot of event `after - capacity` may be mid-overwrite by event `after`: only later ones are sure.
        let firstValid = after >= capacity ? after - capacity + 1 : 0
        var delivered = count
        if start < firstValid {
            let torn = Int(min(firstValid - start, UInt64(count)))
            events.removeSubrange(firstAppended..<(firstAppended + torn))
            missedNow += UInt64(torn)
            delivered -= torn
        }
        cursor = start + UInt64(count)
        missed &+= missedNow  // wrapping: a hostile head can claim any count (found by the region fuzz target)
        return (delivered, missedNow)
    }
}
