/// What the loop's microtask queue needs from a future of any value type: run its callbacks, or fail it at
/// shutdown. Lets a queued item refer to the future itself (a retain) instead of allocating a closure.
@usableFromInline
protocol FutureCallbackRunner: AnyObject, Sendable {
    /// Runs the callbacks registered so far with the future's result. Loop thread only.
    func runCallbacks()
    /// Fails the future with `LoopError.shutDown` if it is still pending. Loop thread only.
    func failForShutdown()
}
