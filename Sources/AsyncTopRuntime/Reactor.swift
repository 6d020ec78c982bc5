import AsyncTopTrace
import CAsyncTopSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The loop's I/O readiness source: one epoll instance, level-triggered, plus the eventfd that other threads
/// write to wake a sleeping loop.
///
/// Each registration's epoll data carries its descriptor and a generation, so an event already returned for a
/// descriptor that was unwatched (and maybe re-watched) in the same turn is recognised as stale and dropped.
/// `wait` reuses one event buffer: polling allocates nothing. Loop thread only, except `wake()`.
struct Reactor {
    struct Registration {
        var generation: UInt32
        var interest: IOEvents
        var name: NameID
        var handler: (IOWatch, IOEvents) -> Void
    }

    /// The epoll data value of the wake-up eventfd.
    static let wakeToken = UInt64.max
    static let capacity: Int32 = 64

    let epollFD: Int32
    let wakeFD: Int32
    private(set) var registrations: [Int32: Registration] = [:]
    private var nextGeneration: UInt32 = 1
    let events: UnsafeMutablePointer<epoll_event>
    private var hasPwait2 = true

    init() throws(IOError) {
        let epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw IOError.last("epoll_create1") }
        let wakeFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard wakeFD >= 0 else {
            let error = IOError.last("eventfd")
            Glibc.close(epollFD)
            throw error
        }
        var event = epoll_event()
        event.events = UInt32(EPOLLIN.rawValue)
        event.data.u64 = Self.wakeToken
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event) == 0 else {
            let error = IOError.last("epoll_ctl")
            Glibc.close(epollFD)
            Glibc.close(wakeFD)
            throw error
        }
        self.epollFD = epollFD
        self.wakeFD = wakeFD
        self.events = .allocate(capacity: Int(Self.capacity))
    }

    /// Frees the event buffer and closes the epoll instance (not the wake eventfd, which other threads may still
    /// write to until the loop object goes away).
    func close() {
        events.deallocate()
        Glibc.close(epollFD)
    }

    /// Wakes the loop from another thread: one 8-byte write to the eventfd.
    static func wake(_ wakeFD: Int32) {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Resets the eventfd after a wake-up.
    func consumeWake() {
        var value: UInt64 = 0
        _ = read(wakeFD, &value, 8)
    }

    /// Waits for readiness: `timeout` nil waits until an event or a wake-up, 0 only polls. Returns the number of
    /// events in `events` (0 after EINTR).
    mutating func wait(timeoutNanoseconds timeout: UInt64?) -> Int {
        var count: Int32
        if let timeout, timeout > 0, hasPwait2 {
            var spec = timespec(tv_sec: Int(timeout / 1_000_000_000), tv_nsec: Int(timeout % 1_000_000_000))
            count = epoll_pwait2(epollFD, events, Self.capacity, &spec, nil)
            if count < 0 && errno == ENOSYS {
                hasPwait2 = false
                return wait(timeoutNanoseconds: timeout)
            }
        } else {
            // Round up to whole milliseconds so a timer is never woken for early.
            let milliseconds = timeout.map { Int32(clamping: ($0 + 999_999) / 1_000_000) } ?? -1
            count = epoll_wait(epollFD, events, Self.capacity, milliseconds)
        }
        return count < 0 ? 0 : Int(count)
    }

    /// Registers `fd`; returns the registration's generation.
    mutating func add(fd: Int32, interest: IOEvents, name: NameID, handler: @escaping (IOWatch, IOEvents) -> Void)
        throws(IOError)
        -> UInt32
    {
        let generation = nextGeneration
        nextGeneration = nextGeneration == UInt32.max ? 1 : nextGeneration + 1
        var event = epoll_event()
        event.events = interest.epollInterest
        event.data.u64 = UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else { throw IOError.last("epoll_ctl") }
        registrations[fd] = Registration(generation: generation, interest: interest, name: name, handler: handler)
        return generation
    }

    /// Changes a registration's interest; false if `fd` is not registered with that generation.
    mutating func modify(fd: Int32, generation: UInt32, interest: IOEvents) throws(IOError) -> Bool {
        guard registrations[fd]?.generation == generation else { return false }
        var event = epoll_event()
        event.events = interest.epollInterest
        event.data.u64 = UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))
        guard epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event) == 0 else { throw IOError.last("epoll_ctl") }
        registrations[fd]?.interest = interest
        return true
    }

    /// Removes a registration; false if `fd` is not registered with that generation.
    mutating func remove(fd: Int32, generation: UInt32) -> Bool {
        guard registrations[fd]?.generation == generation else { return false }
        registrations[fd] = nil
        var event = epoll_event()
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
        return true
    }

    /// The registration an event belongs to, or nil for the wake-up token or a stale event.
    func registration(for data: UInt64) -> (fd: Int32, registration: Registration)? {
        guard data != Self.wakeToken else { return nil }
        let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: data))
        guard let registration = registrations[fd], registration.generation == UInt32(truncatingIfNeeded: data >> 32)
        else { return nil }
        return (fd, registration)
    }
}
