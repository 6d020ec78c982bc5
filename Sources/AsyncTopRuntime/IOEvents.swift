import CAsyncTopSupport

/// Readiness of a file descriptor: what a watch is interested in, and what the loop reports to its handler.
public struct IOEvents: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Data can be read (or a connection accepted, or the peer closed its side).
    public static let readable = IOEvents(rawValue: 1 << 0)
    /// Data can be written (or a non-blocking connect finished).
    public static let writable = IOEvents(rawValue: 1 << 1)
    /// The peer hung up. Reported only, never needed as interest.
    public static let hangup = IOEvents(rawValue: 1 << 2)
    /// An error is pending on the descriptor. Reported only.
    public static let error = IOEvents(rawValue: 1 << 3)

    /// The epoll interest bits for `.readable` / `.writable` (level-triggered; hang-ups always reported).
    var epollInterest: UInt32 {
        var bits = UInt32(EPOLLRDHUP.rawValue)
        if contains(.readable) { bits |= UInt32(EPOLLIN.rawValue) }
        if contains(.writable) { bits |= UInt32(EPOLLOUT.rawValue) }
        return bits
    }

    init(epollEvents bits: UInt32) {
        var events: IOEvents = []
        if bits & UInt32(EPOLLIN.rawValue | EPOLLPRI.rawValue) != 0 { events.insert(.readable) }
        if bits & UInt32(EPOLLOUT.rawValue) != 0 { events.insert(.writable) }
        if bits & UInt32(EPOLLHUP.rawValue | EPOLLRDHUP.rawValue) != 0 { events.insert(.hangup) }
        if bits & UInt32(EPOLLERR.rawValue) != 0 { events.insert(.error) }
        self = events
    }

    public var description: String {
        let names: [(IOEvents, String)] = [
            (.readable, "readable"), (.writable, "writable"), (.hangup, "hangup"), (.error, "error")
        ]
        return "[" + names.filter { contains($0.0) }.map(\.1).joined(separator: ", ") + "]"
    }
}
