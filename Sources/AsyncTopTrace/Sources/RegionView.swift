import Atomics

/// A read-only view of a validated region: header facts, ring readers and the name table.
/// Shared by the in-process and attached sources, so both read exactly the same way.
struct RegionView: @unchecked Sendable {
    let base: UnsafeRawPointer
    let layout: RegionLayout

    private func u64(_ offset: Int) -> UInt64 { base.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
    private func u32(_ offset: Int) -> UInt32 { base.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
    private func atomic(_ offset: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(
            at: UnsafeMutableRawPointer(mutating: base + offset).assumingMemoryBound(to: AtomicWordStorage.self))
    }

    var info: SourceInfo {
        let nameBytes = UnsafeRawBufferPointer(
            start: base + RegionLayout.Field.processName, count: RegionLayout.processNameCapacity)
        return SourceInfo(
            pid: Int32(bitPattern: u32(RegionLayout.Field.pid)),
            processName: String(decoding: nameBytes.prefix(while: { $0 != 0 }), as: UTF8.self),
            processStartTime: u64(RegionLayout.Field.processStartTime),
            vocabulary: VocabularyVersion(packed: u32(RegionLayout.Field.vocabulary)),
            calibration: ClockCalibration(
                kind: TraceClock.Kind(rawValue: u32(RegionLayout.Field.clockKind)) ?? .monotonic,
                nanosecondsPerTick: Double(bitPattern: u64(RegionLayout.Field.nanosecondsPerTick)),
                epochTicks: u64(RegionLayout.Field.epochTicks),
                epochMonotonicNanoseconds: u64(RegionLayout.Field.epochMonotonicNanoseconds),
                epochUnixNanoseconds: u64(RegionLayout.Field.epochUnixNanoseconds)),
            ringCount: layout.ringCount,
            ringCapacity: layout.ringCapacity)
    }

    var state: RegionState? { RegionState(rawValue: atomic(RegionLayout.Field.state).load(ordering: .acquiring)) }

    /// Rings handed out so far, clamped to the pool size whatever the header says.
    var claimedRings: Int {
        Int(min(atomic(RegionLayout.Field.ringsClaimed).load(ordering: .acquiring), UInt64(layout.ringCount)))
    }

    func ringHeader(_ index: Int) -> UnsafeRawPointer {
        base + layout.ringsOffset + index * layout.ringStride
    }

    func ringIdentity(_ index: Int) -> RingIdentity {
        let header = ringHeader(index)
        return RingIdentity(
            index: index,
            threadID: header.loadUnaligned(fromByteOffset: RegionLayout.RingField.threadID, as: UInt64.self),
            loop: UInt16(
                truncatingIfNeeded: header.loadUnaligned(fromByteOffset: RegionLayout.RingField.loopID, as: UInt64.self)
            ))
    }

    func makeNameReader() -> NameTableReader {
        NameTableReader(
            arena: base + layout.namesOffset, capacity: layout.namesCapacity,
            used: base + RegionLayout.Field.namesUsed)
    }
}

/// Reads every ring of a region view with one cursor per ring: the reading half that both sources share.
struct RegionCursor {
    private(set) var readers: [RingReader] = []
    private(set) var identities: [RingIdentity] = []
    /// The ring the next limited read starts at.
    private var nextRing = 0
    /// Where the history a late reader found starts (trace ticks): events before it are left out of every ring.
    private(set) var historyStart: UInt64 = 0
    /// Events skipped at arrival, not yet reported in a batch's `beforeReader`.
    private var skippedAtArrival: UInt64 = 0

    /// A cursor that reads every ring from its start: for a reader made with the region, before its producer.
    init() {}

    /// A cursor for a reader that comes now. Rings that wrapped before it came hold histories starting at different
    /// times (a busy ring keeps less), and half a history (a job's start kept, its enqueue overwritten) would read as
    /// wrong state: every ring is read from the latest of their oldest events (`historyStart`), and what came
    /// before is left out, but for loop starts and counter values. Those events were written before the reader
    /// came: neither delivered nor missed, but counted (`EventBatch.beforeReader`).
    init(arrivingAt view: RegionView) {
        for index in 0..<view.claimedRings {
            var reader = RingReader(ringHeader: view.ringHeader(index), capacity: view.layout.ringCapacity)
            if let oldest = reader.startAtOldestRetained() { historyStart = max(historyStart, oldest) }
            skippedAtArrival += reader.cursor
            readers.append(reader)
            identities.append(view.ringIdentity(index))
        }
    }

    /// Reads what the rings hold beyond each reader's cursor into `batch`; rings claimed since are read from their
    /// start.
    mutating func read(_ view: RegionView, into batch: inout EventBatch, limit: Int) {
        let claimed = view.claimedRings
        while readers.count < claimed {
            let index = readers.count
            readers.append(RingReader(ringHeader: view.ringHeader(index), capacity: view.layout.ringCapacity))
            identities.append(view.ringIdentity(index))
            batch.missedByRing.append(0)
        }
        batch.beforeReader &+= skippedAtArrival
        skippedAtArrival = 0
        if batch.missedByRing.count < readers.count {
            batch.missedByRing.append(contentsOf: repeatElement(0, count: readers.count - batch.missedByRing.count))
        }
        // A limited read starts where the last one stopped, ring after ring round the region: read from the
        // first ring each time, a busy first ring would keep the others from being read at all, and their
        // events would arrive late or be overwritten.
        var remaining = limit
        let first = readers.isEmpty ? 0 : nextRing % readers.count
        for step in readers.indices where remaining > 0 {
            let index = (first + step) % readers.count
            nextRing = index + 1
            let start = batch.events.count
            var (delivered, missed) = readers[index].read(into: &batch.events, limit: remaining)
            remaining -= delivered
            batch.missedByRing[index] &+= missed
            if historyStart > 0, delivered > 0, batch.events[start].time < historyStart {
                // What states a fact rather than an activity (a loop's start, a counter's value) is kept however
                // old: the pool's width, say, is written once, when the tap starts.
                let history = historyStart
                let older =
                    batch.events[start..<(start + delivered)].firstIndex { $0.time >= history } ?? start + delivered
                let facts = batch.events[start..<older].filter { $0.kind == .loopStarted || $0.kind == .counter }
                batch.events.replaceSubrange(start..<older, with: facts)
                batch.beforeReader &+= UInt64(older - start - facts.count)
                delivered = batch.events.count - start
            }
            if delivered > 0 {
                // A ring is counted as claimed before its producer writes whose it is; by its first published
                // event it has (the head's release store orders it), so an identity read too early is read again.
                if identities[index].threadID == 0 { identities[index] = view.ringIdentity(index) }
                batch.segments.append(EventBatch.Segment(ring: identities[index], range: start..<(start + delivered)))
            }
        }
        batch.rings = identities
    }
}
