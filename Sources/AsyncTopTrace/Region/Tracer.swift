import Atomics
import CAsyncTopSupport

/// The producer side of one ring: what a traced thread (an event loop) calls to emit events.
///
/// Obtained from `Region.makeTracer(loop:)`, which claims one ring of the region for the calling thread.
/// A `Tracer` must only be used by one thread at a time: each ring has a single producer.
///
/// Cost of `emit`: one relaxed load of the global switch, one clock read, four relaxed 8-byte stores and one
/// release store (plain moves on x86-64). No allocation, no lock, no call; the producer never waits for a
/// reader — when readers lag, the oldest slots are overwritten and readers count what they missed.
@frozen
public struct Tracer: @unchecked Sendable {
    /// The ring's head word and its slots, as the C ring protocol (`asynctop_ring_append`) takes them.
    @usableFromInline let head: UnsafeMutablePointer<UInt64>
    @usableFromInline let slots: UnsafeMutablePointer<UInt64>
    @usableFromInline let mask: UInt64
    @usableFromInline let epochTicks: UInt64
    /// The ring this tracer writes to, or nil if the region had no free ring (its events are then counted
    /// as dropped in the region header and written to a private ring nobody reads).
    public let ringIndex: Int?

    init(ringHeader: UnsafeMutableRawPointer, capacity: Int, epochTicks: UInt64, ringIndex: Int?) {
        self.head = (ringHeader + RegionLayout.RingField.head).assumingMemoryBound(to: UInt64.self)
        self.slots = (ringHeader + RegionLayout.ringHeaderSize).assumingMemoryBound(to: UInt64.self)
        self.mask = UInt64(capacity - 1)
        self.epochTicks = epochTicks
        self.ringIndex = ringIndex
    }

    /// Whether tracing is on, process-wide. On by default; switching it off makes `emit` return after one
    /// predictable branch.
    public static var isEnabled: Bool {
        get { asynctop_tracing_enabled() }
        set { asynctop_set_tracing_enabled(newValue) }
    }

    /// Current time in this tracer's timebase (ticks since the region's epoch), for callers that stamp
    /// enqueue times or deadlines themselves.
    @inlinable @inline(__always)
    public func now() -> UInt64 { asynctop_now_ticks() &- epochTicks }

    /// Appends one event, stamped now. No allocation, no lock.
    @inlinable @inline(__always)
    public func emit(_ kind: EventKind, loop: UInt16, name: NameID = .none, id: UInt64 = 0, arg: UInt64 = 0) {
        guard _fastPath(asynctop_tracing_enabled()) else { return }
        write(time: now(), kind: kind, loop: loop, name: name, id: id, arg: arg)
    }

    /// Appends one event with a caller-supplied time (ticks since the epoch), e.g. one read for several events.
    @inlinable @inline(__always)
    public func emit(
        _ kind: EventKind, at time: UInt64, loop: UInt16, name: NameID = .none, id: UInt64 = 0, arg: UInt64 = 0
    ) {
        guard _fastPath(asynctop_tracing_enabled()) else { return }
        write(time: time, kind: kind, loop: loop, name: name, id: id, arg: arg)
    }

    @inlinable @inline(__always)
    func write(time: UInt64, kind: EventKind, loop: UInt16, name: NameID, id: UInt64, arg: UInt64) {
        asynctop_ring_append(
            head, slots, mask, time, UInt64(kind.rawValue) | UInt64(loop) &<< 16 | UInt64(name.rawValue) &<< 32, id, arg
        )
    }

    /// The ring as a producer written in C takes it (`asynctop_ring_append`): head word, slots, index mask and
    /// the region's epoch in ticks. The single-producer rule still holds: one thread at a time.
    public var ringForC:
        (head: UnsafeMutablePointer<UInt64>, slots: UnsafeMutablePointer<UInt64>, mask: UInt64, epochTicks: UInt64)
    {
        (head, slots, mask, epochTicks)
    }

    /// Events written to this tracer's ring since it was created.
    public var eventsWritten: UInt64 { asynctop_ring_head(head) }
}

/// The storage of one 64-bit atomic word in mapped memory (named to avoid the clash between swift-atomics'
/// and the standard library's `AtomicRepresentation`).
public typealias AtomicWordStorage = UnsafeAtomic<UInt64>.Storage
