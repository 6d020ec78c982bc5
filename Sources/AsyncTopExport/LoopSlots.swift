/// Dense slots for loop ids, numbered in order of first appearance, for the exporters' per-loop state.
///
/// Loop ids are sparse (pool threads from `ProducerKind.poolThreadBase`, 0x8000; threads that only enqueue from
/// 0xC000), so arrays indexed by id grew to tens of thousands of entries in every export of a traced Swift
/// Concurrency program, and to 65 536 for a damaged file. Events come in runs of one ring (one loop), so the last
/// lookup answers almost every event: one hash per run, not per event.
struct LoopSlots {
    private var slotOfLoop: [UInt16: Int] = [:]
    private var lastLoop: UInt16?
    private var lastSlot = 0
    /// The loop of each slot.
    private(set) var loops: [UInt16] = []

    /// The slot of `loop`, and whether it was just given one.
    @inline(__always)
    mutating func slot(of loop: UInt16) -> (slot: Int, isNew: Bool) {
        if loop == lastLoop { return (lastSlot, false) }
        var isNew = false
        let slot =
            slotOfLoop[loop]
            ?? {
                isNew = true
                slotOfLoop[loop] = loops.count
                loops.append(loop)
                return loops.count - 1
            }()
        lastLoop = loop
        lastSlot = slot
        return (slot, isNew)
    }
}
