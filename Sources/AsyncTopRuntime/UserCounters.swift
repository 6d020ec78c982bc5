import AsyncTopTrace

extension EventLoop {
    /// Records the value of a user counter (a queue depth, bytes served): a `counter` event on this loop's
    /// ring, shown by the monitor and checked by the queue-growth rule. From the loop's own thread the event
    /// is written at once (interning the name takes the name table's lock); from another thread the call
    /// hops to the loop.
    public func recordCounter(_ name: String, _ value: Int64, file: StaticString = #fileID, line: UInt = #line) {
        guard inEventLoop else {
            execute(file: file, line: line) { self.recordCounter(name, value) }
            return
        }
        tracer.emit(.counter, loop: id, name: region.names.intern(name), arg: UInt64(bitPattern: value))
    }
}
