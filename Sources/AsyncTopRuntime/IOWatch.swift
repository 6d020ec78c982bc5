/// A file descriptor registered with a loop's reactor by `EventLoop.watch`. A small value: copying it allocates
/// nothing. The watch owns the descriptor: `unwatch()` closes it (unless told not to) and so does the loop's
/// shutdown.
///
/// On the loop thread the calls take effect at once; from another thread they are queued to the loop.
public struct IOWatch: Sendable, Hashable {
    /// The loop the descriptor is registered with.
    public let loop: EventLoop
    /// The watched descriptor.
    public let descriptor: IODescriptor
    let generation: UInt32

    /// Changes what the handler is called for (e.g. add `.writable` while output is pending).
    public func setInterest(_ interest: IOEvents) {
        loop.updateWatch(self, interest: interest)
    }

    /// Removes the descriptor from the reactor and, unless `closing` is false, closes it.
    public func unwatch(closing: Bool = true) {
        loop.removeWatch(self, closing: closing)
    }

    public static func == (a: IOWatch, b: IOWatch) -> Bool {
        a.loop === b.loop && a.descriptor == b.descriptor && a.generation == b.generation
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(loop))
        hasher.combine(descriptor)
        hasher.combine(generation)
    }
}
