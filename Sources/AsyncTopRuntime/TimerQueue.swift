import AsyncTopTrace
import HeapModule

/// The loop's timers: a binary min-heap of (deadline, arming sequence) over a slab of timer slots.
///
/// Equal deadlines fire in arming order (the sequence breaks ties). Cancelling is O(1): it frees the slot and
/// bumps its generation, leaving a stale heap entry that is skipped when it surfaces (lazy deletion); when stale
/// entries outnumber live ones the heap is rebuilt, so arm-and-cancel loops keep it small. Arming costs a heap
/// insert and reuses slots and heap storage: no allocation in steady state beyond the callback's own closure
/// context. Loop thread only.
struct TimerQueue {
    /// What runs when a timer fires.
    enum Body {
        case once(@Sendable () throws -> Void)
        case repeating(@Sendable (TimerTick) throws -> Void, period: UInt64, mode: RepeatMode, firings: Int)
    }

    /// A timer taken off the heap because its deadline passed.
    struct Fired {
        var key: UInt64
        var deadline: UInt64
        /// The deadline in trace ticks as computed when armed (0 if tracing was off then).
        var deadlineTicks: UInt64
        var traceID: UInt64
        var name: NameID
        var body: Body
    }

    private struct Entry: Comparable {
        var deadline: UInt64
        var sequence: UInt64
        var slot: UInt32
        var generation: UInt32

        static func < (a: Entry, b: Entry) -> Bool {
            a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence
        }
    }

    private struct Slot {
        var generation: UInt32 = 1
        var inHeap = false
        var body: Body?
        var traceID: UInt64 = 0
        var name: NameID = .none
        var remoteKey: UInt64 = 0
        var deadlineTicks: UInt64 = 0
    }

    /// Keys of timers armed from another thread have this bit set; the loop maps them to slot keys.
    static let remoteKeyBit: UInt64 = 1 << 63
    private static let maxGeneration: UInt32 = 0x7FFF_FFFF

    private var heap = Heap<Entry>()
    private var slots: [Slot] = []
    private var freeSlots: [UInt32] = []
    private var nextSequence: UInt64 = 0
    private var staleEntries = 0
    /// Remote key → slot key, for timers armed from another thread that have not fired or been cancelled.
    private var remoteKeys: [UInt64: UInt64] = [:]
    /// Timers armed and neither fired (one-shot) nor cancelled.
    private(set) var liveCount = 0

    private static func key(slot: UInt32, generation: UInt32) -> UInt64 {
        UInt64(generation) << 32 | UInt64(slot)
    }

    private func slotIndex(ofLive key: UInt64) -> Int? {
        let slot = Int(truncatingIfNeeded: key & 0xFFFF_FFFF)
        let generation = UInt32(truncatingIfNeeded: key >> 32)
        guard slot < slots.count, slots[slot].generation == generation, slots[slot].body != nil else { return nil }
        return slot
    }

    /// Arms a timer and returns its key (never 0). `remoteKey` is the key handed out by another thread, if any.
    /// `deadlineTicks` is kept for the loop to trace the firing's lateness without converting the deadline again.
    mutating func arm(
        deadline: UInt64, deadlineTicks: UInt64, body: Body, traceID: UInt64, name: NameID, remoteKey: UInt64 = 0
    ) -> UInt64 {
        let slot: UInt32
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = UInt32(slots.count)
            slots.append(Slot())
        }
        let index = Int(slot)
        slots[index].body = body
        slots[index].traceID = traceID
        slots[index].name = name
        slots[index].remoteKey = remoteKey
        slots[index].deadlineTicks = deadlineTicks
        liveCount += 1
        let key = Self.key(slot: slot, generation: slots[index].generation)
        if remoteKey != 0 { remoteKeys[remoteKey] = key }
        push(deadline: deadline, slot: slot)
        return key
    }

    private mutating func push(deadline: UInt64, slot: UInt32) {
        slots[Int(slot)].inHeap = true
        heap.insert(
            Entry(deadline: deadline, sequence: nextSequence, slot: slot, generation: slots[Int(slot)].generation))
        nextSequence &+= 1
    }

    /// Puts a repeating timer that just fired back on the heap; false if it was cancelled meanwhile.
    mutating func rearm(key: UInt64, deadline: UInt64, deadlineTicks: UInt64, firings: Int) -> Bool {
        guard let index = slotIndex(ofLive: key), case .repeating(let body, let period, let mode, _) = slots[index].body
        else { return false }
        slots[index].body = .repeating(body, period: period, mode: mode, firings: firings)
        slots[index].deadlineTicks = deadlineTicks
        push(deadline: deadline, slot: UInt32(index))
        return true
    }

    /// The slot key for a handle's key (remote keys are mapped), or nil if that timer is no longer armed.
    func resolve(_ key: UInt64) -> UInt64? {
        let slotKey = key & Self.remoteKeyBit != 0 ? remoteKeys[key] : key
        guard let slotKey, slotIndex(ofLive: slotKey) != nil else { return nil }
        return slotKey
    }

    /// Cancels an armed timer; returns its trace id, or nil if it already fired or was cancelled.
    mutating func cancel(key: UInt64) -> UInt64? {
        guard let slotKey = resolve(key), let index = slotIndex(ofLive: slotKey) else { return nil }
        let traceID = slots[index].traceID
        if slots[index].inHeap { staleEntries += 1 }
        release(index)
        compactIfNeeded()
        return traceID
    }

    private mutating func release(_ index: Int) {
        slots[index].body = nil
        slots[index].inHeap = false
        if slots[index].remoteKey != 0 {
            remoteKeys[slots[index].remoteKey] = nil
            slots[index].remoteKey = 0
        }
        let generation = slots[index].generation
        slots[index].generation = generation == Self.maxGeneration ? 1 : generation + 1
        freeSlots.append(UInt32(index))
        liveCount -= 1
    }

    private func isLive(_ entry: Entry) -> Bool {
        let slot = slots[Int(entry.slot)]
        return slot.generation == entry.generation && slot.inHeap && slot.body != nil
    }

    /// Takes the earliest timer whose deadline is at or before `now`. A one-shot timer's slot is freed (its
    /// body moves out); a repeating timer stays armed until `rearm` or `cancel`.
    mutating func popExpired(now: UInt64) -> Fired? {
        while let top = heap.min, top.deadline <= now {
            heap.removeMin()
            guard isLive(top) else {
                staleEntries -= 1
                continue
            }
            let index = Int(top.slot)
            slots[index].inHeap = false
            let body = slots[index].body!
            let fired = Fired(
                key: Self.key(slot: top.slot, generation: top.generation), deadline: top.deadline,
                deadlineTicks: slots[index].deadlineTicks, traceID: slots[index].traceID, name: slots[index].name,
                body: body)
            if case .once = body { release(index) }
            return fired
        }
        return nil
    }

    /// The earliest live deadline, discarding stale entries on top.
    mutating func nextDeadline() -> UInt64? {
        while let top = heap.min {
            if isLive(top) { return top.deadline }
            heap.removeMin()
            staleEntries -= 1
        }
        return nil
    }

    /// Cancels every armed timer; returns their trace ids in firing order.
    mutating func cancelAll() -> [UInt64] {
        var cancelled: [UInt64] = []
        while let top = heap.popMin() {
            guard isLive(top) else { continue }
            cancelled.append(slots[Int(top.slot)].traceID)
            release(Int(top.slot))
        }
        staleEntries = 0
        return cancelled
    }

    private mutating func compactIfNeeded() {
        guard staleEntries > 64, staleEntries > heap.count / 2 else { return }
        let live = heap.unordered.filter { isLive($0) }
        heap = Heap(live)
        staleEntries = 0
    }
}
