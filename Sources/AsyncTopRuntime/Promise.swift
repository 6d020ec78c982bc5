/// The writing end of a `Future`: whoever holds it completes the future, once. A one-word value.
///
/// Completing from the loop thread schedules the future's callbacks as a microtask (no lock); from another thread
/// the completion is queued to the loop first. A second completion is ignored, so a result racing a timeout or a
/// cancellation needs no coordination.
public struct Promise<Value: Sendable>: Sendable {
    /// The future this promise completes.
    public let future: Future<Value>

    /// A promise whose future completes on `loop`.
    @inlinable
    public init(on loop: EventLoop) {
        future = Future(loop: loop)
    }

    /// Completes the future with a value.
    @inlinable
    public func succeed(_ value: Value) {
        complete(.success(value))
    }

    /// Completes the future with an error.
    @inlinable
    public func fail(_ error: any Error) {
        complete(.failure(error))
    }

    /// Completes the future with a result.
    @inlinable
    public func complete(_ result: Result<Value, any Error>) {
        future.completeFromAnyThread(result)
    }

    /// Runs `handler` on the loop if the future is cancelled (`Future.cancel()`, a timeout, or a cancelled
    /// aggregate) while still pending: the way to stop the work behind the promise. Replaces an earlier handler.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        future.setCancellationHandler(handler)
    }
}
