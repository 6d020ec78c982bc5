/// A value that an event loop will have later: the result of `submit`, `spawn`, a `Promise`, or of combining
/// other futures (`map`, `flatMap`, `all`, `any`, `timeout`). Await it with `value`.
///
/// A future belongs to one loop and its state is only touched on that loop's thread, so it needs no lock: calls
/// from other threads are queued to the loop. Callbacks run as microtasks, in the order they were added, after
/// the callback or task poll that completed the future (so chains of any length never grow the stack).
/// Cost: one object per future, one closure per callback; completing one queues a single microtask however many
/// callbacks it has. Nothing a future stores has a type built from `Value` but `Value?` itself (callbacks are a
/// list that is not generic, `FutureCallbacks`; the error is stored apart): releasing a future runs unspecialized
/// code, and a type such as `Result<Value, any Error>` would cost it a metadata lookup in the runtime's hash
/// table. `flatMap` onto a future already complete on the same loop takes its result at once, without a
/// microtask of its own.
///
/// A failed future released without anyone observing it (no callback, no awaiter, no `cancel`) counts in the
/// loop's `unobservedFailureCount`.
public final class Future<Value: Sendable>: @unchecked Sendable {
    /// What a callback is handed: the future's result.
    public typealias Callback = @Sendable (Result<Value, any Error>) -> Void

    /// The loop the future completes on and runs its callbacks on.
    public let loop: EventLoop

    @usableFromInline @exclusivity(unchecked) var isComplete = false
    /// The value, once the future has succeeded, kept in place in `inlineValue` when it fits three words, else in
    /// a `FutureValueBox`. Not a `Value?`: a future's deinit runs unspecialized, and destroying a `Value?` there
    /// looks `Optional<Value>`'s metadata up in the runtime's hash table (~325 instructions a future); these fields
    /// are destroyed without it, and the value itself through `Value`'s own witnesses.
    @usableFromInline @exclusivity(unchecked) var inlineValue: (UInt, UInt, UInt) = (0, 0, 0)
    @usableFromInline @exclusivity(unchecked) var boxedValue: AnyObject?
    /// The error, once the future has failed.
    @usableFromInline @exclusivity(unchecked) var failure: (any Error)?
    @usableFromInline @exclusivity(unchecked) var callbacks = FutureCallbacks()
    @usableFromInline @exclusivity(unchecked) var runScheduled = false
    @usableFromInline @exclusivity(unchecked) var observed = false
    @usableFromInline @exclusivity(unchecked) var awaited = false
    @usableFromInline @exclusivity(unchecked) var cancellationHandler: (@Sendable () -> Void)?
    /// The traced task whose failure this future holds (set by `spawn`, on the loop thread), named if nobody
    /// observes the failure.
    @usableFromInline @exclusivity(unchecked) var failedTaskID: UInt64 = 0

    @inlinable
    init(loop: EventLoop) {
        self.loop = loop
    }

    @inlinable
    init(loop: EventLoop, result: Result<Value, any Error>) {
        self.loop = loop
        store(result)
    }

    deinit {
        if hasValue && Self.valueFitsInline {
            withUnsafeMutableBytes(of: &inlineValue) {
                _ = $0.baseAddress!.assumingMemoryBound(to: Value.self).deinitialize(count: 1)
            }
        }
        if let failure, !observed { loop.noteUnobservedFailure(failure, task: failedTaskID) }
    }

    /// Whether a `Value` is kept in `inlineValue` (else in a box).
    @inlinable
    static var valueFitsInline: Bool {
        MemoryLayout<Value>.size <= MemoryLayout<(UInt, UInt, UInt)>.size
            && MemoryLayout<Value>.alignment <= MemoryLayout<UInt>.alignment
    }

    /// Whether the future has succeeded (so a value is stored).
    @inlinable
    var hasValue: Bool { isComplete && failure == nil }

    /// The value, once the future has succeeded. Loop thread only.
    @inlinable
    var success: Value? {
        guard hasValue else { return nil }
        guard Self.valueFitsInline else {
            return unsafeDowncast(boxedValue.unsafelyUnwrapped, to: FutureValueBox<Value>.self).value
        }
        return withUnsafeMutableBytes(of: &inlineValue) { $0.baseAddress!.assumingMemoryBound(to: Value.self).pointee }
    }

    /// The result, nil while pending. Loop thread only.
    @inlinable
    var result: Result<Value, any Error>? {
        guard isComplete else { return nil }
        if let failure { return .failure(failure) }
        return .success(success!)
    }

    @inlinable
    func store(_ result: Result<Value, any Error>) {
        switch result {
        case .success(let value):
            if Self.valueFitsInline {
                withUnsafeMutableBytes(of: &inlineValue) {
                    _ = $0.baseAddress!.initializeMemory(as: Value.self, to: value)
                }
            } else {
                boxedValue = FutureValueBox(value)
            }
        case .failure(let error): failure = error
        }
        isComplete = true
    }

    // MARK: - Loop-thread core

    /// Completes the future if it is pending; false if it was already complete. Loop thread only.
    @inlinable @discardableResult
    func complete(_ value: Result<Value, any Error>) -> Bool {
        loop.assertInEventLoop()
        guard !isComplete else { return false }
        store(value)
        cancellationHandler = nil
        if awaited {
            awaited = false
            loop.forgetAwaited(ObjectIdentifier(self))
        }
        if !callbacks.isEmpty { scheduleCallbacks() }
        return true
    }

    /// Completes the future from any thread.
    @inlinable
    func completeFromAnyThread(_ value: Result<Value, any Error>) {
        if loop.inEventLoop {
            complete(value)
        } else {
            loop.execute { self.complete(value) }
        }
    }

    /// Sets the handler `cancel()` runs while the future is pending. On the loop thread: no closure of its own.
    @inlinable
    func setCancellationHandler(_ handler: @escaping @Sendable () -> Void) {
        if loop.inEventLoop {
            if !isComplete { cancellationHandler = handler }
        } else {
            loop.execute {
                if !self.isComplete { self.cancellationHandler = handler }
            }
        }
    }

    @inlinable
    func scheduleCallbacks() {
        guard !runScheduled else { return }
        runScheduled = true
        loop.enqueueFutureCallbacks { self.runCallbacks() }
    }

    /// Runs the callbacks added so far (the future is complete). Loop thread only.
    @inlinable
    func runCallbacks() {
        loop.assertInEventLoop()
        runScheduled = false
        let due = callbacks
        callbacks = FutureCallbacks()
        due.run()
    }

    /// Adds a callback that reads `result` itself, to run once the future is complete. Loop thread only.
    @inlinable
    func addCallback(_ callback: @escaping @Sendable () -> Void) {
        loop.assertInEventLoop()
        observed = true
        callbacks.append(callback)
        if isComplete { scheduleCallbacks() }
    }

    /// `addCallback` from any thread: from another thread it is queued to the loop. The callbacks are stored in
    /// the future itself and run only while it is alive, so they refer to it `unowned(unsafe)` (no retain cycle
    /// while it is pending).
    @inlinable
    func onCompletion(_ callback: @escaping @Sendable () -> Void) {
        if loop.inEventLoop {
            addCallback(callback)
        } else {
            loop.execute { self.addCallback(callback) }
        }
    }

    /// Completes this future with `inner`'s result: at once if `inner` is already complete on this loop (the
    /// calling thread's), else through a callback on `inner`.
    @inlinable
    func follow(_ inner: Future<Value>) {
        if inner.loop === loop, let result = inner.result {
            inner.observed = true
            complete(result)
        } else {
            inner.whenComplete { self.completeFromAnyThread($0) }
        }
    }

    // MARK: - Callbacks

    /// Runs `callback` on the loop with the result, once the future completes (at once, as a microtask, if it
    /// already has).
    @inlinable
    public func whenComplete(_ callback: @escaping Callback) {
        onCompletion { [unowned(unsafe) self] in callback(self.result!) }
    }

    /// Runs `body` on the loop with the value, if the future succeeds.
    @inlinable
    public func whenSuccess(_ body: @escaping @Sendable (Value) -> Void) {
        onCompletion { [unowned(unsafe) self] in
            if case .success(let value) = self.result! { body(value) }
        }
    }

    /// Runs `body` on the loop with the error, if the future fails.
    @inlinable
    public func whenFailure(_ body: @escaping @Sendable (any Error) -> Void) {
        onCompletion { [unowned(unsafe) self] in
            if case .failure(let error) = self.result! { body(error) }
        }
    }

    // MARK: - Combinators

    /// A future of `transform` applied to this future's value; fails if this one fails or `transform` throws.
    /// Cancelling it cancels this one.
    @inlinable
    public func map<NewValue: Sendable>(_ transform: @escaping @Sendable (Value) throws -> NewValue) -> Future<NewValue>
    {
        let next = Future<NewValue>(loop: loop)
        next.cancellationHandler = { self.cancel() }
        onCompletion { [unowned(unsafe) self] in
            switch self.result! {
            case .success(let value):
                do {
                    next.complete(.success(try transform(value)))
                } catch {
                    next.complete(.failure(error))
                }
            case .failure(let error):
                next.complete(.failure(error))
            }
        }
        return next
    }

    /// A future of the future `body` returns for this future's value (which may complete on another loop).
    /// Cancelling it cancels this one, or the inner one once it exists.
    @inlinable
    public func flatMap<NewValue: Sendable>(
        _ body: @escaping @Sendable (Value) throws -> Future<NewValue>
    ) -> Future<NewValue> {
        let next = Future<NewValue>(loop: loop)
        next.cancellationHandler = { self.cancel() }
        onCompletion { [unowned(unsafe) self] in
            switch self.result! {
            case .success(let value):
                do {
                    let inner = try body(value)
                    next.cancellationHandler = { inner.cancel() }
                    next.follow(inner)
                } catch {
                    next.complete(.failure(error))
                }
            case .failure(let error):
                next.complete(.failure(error))
            }
        }
        return next
    }

    /// A future that succeeds with this future's value, or with `body`'s replacement for its error.
    @inlinable
    public func recover(_ body: @escaping @Sendable (any Error) throws -> Value) -> Future<Value> {
        let next = Future<Value>(loop: loop)
        next.cancellationHandler = { self.cancel() }
        onCompletion { [unowned(unsafe) self] in
            let result = self.result!
            switch result {
            case .success:
                next.complete(result)
            case .failure(let error):
                do {
                    next.complete(.success(try body(error)))
                } catch {
                    next.complete(.failure(error))
                }
            }
        }
        return next
    }

    /// A future with this future's result, or failing with `LoopError.timedOut` if `duration` passes first — in
    /// which case this future is cancelled (its promise's `onCancel` handler runs).
    public func timeout(after duration: Duration) -> Future<Value> {
        let limited = Future<Value>(loop: loop)
        limited.cancellationHandler = { self.cancel() }
        let timer = loop.schedule(after: duration) {
            limited.complete(.failure(LoopError.timedOut))
            self.cancel()
        }
        whenComplete { result in
            timer.cancel()
            limited.complete(result)
        }
        return limited
    }

    /// Fails the future with `CancellationError` if it is still pending, and runs its cancellation handler
    /// (stopping the task, timer or upstream future behind it). Does nothing to a completed future.
    public func cancel() {
        loop.runOnLoop {
            self.observed = true
            guard !self.isComplete else { return }
            let handler = self.cancellationHandler
            self.complete(.failure(CancellationError()))
            handler?()
        }
    }

    /// Gathers futures: succeeds with all their values in order once all succeed, or fails with the first
    /// failure. Cancelling it cancels them all. An empty array gives an immediate success.
    public static func all(_ futures: [Future<Value>], on loop: EventLoop) -> Future<[Value]> {
        guard !futures.isEmpty else { return Future<[Value]>(loop: loop, result: .success([])) }
        let gathered = Future<[Value]>(loop: loop)
        gathered.cancellationHandler = { for future in futures { future.cancel() } }
        let state = Gathering<Value>(count: futures.count)
        for (index, future) in futures.enumerated() {
            future.whenComplete { result in
                loop.runOnLoop {
                    switch result {
                    case .success(let value):
                        state.values[index] = value
                        state.remaining -= 1
                        if state.remaining == 0 { gathered.complete(.success(state.values.map { $0! })) }
                    case .failure(let error):
                        gathered.complete(.failure(error))
                    }
                }
            }
        }
        return gathered
    }

    /// Races futures: completes with the result of whichever completes first (success or failure); the others
    /// go on. Cancelling it cancels them all. An empty array gives a future that never completes.
    public static func any(_ futures: [Future<Value>], on loop: EventLoop) -> Future<Value> {
        let winner = Future<Value>(loop: loop)
        winner.cancellationHandler = { for future in futures { future.cancel() } }
        for future in futures {
            future.whenComplete { winner.completeFromAnyThread($0) }
        }
        return winner
    }

    // MARK: - async/await

    /// The future's value, suspending until it completes; throws its error. If the loop shuts down before the
    /// future completes, throws `LoopError.shutDown`. Awaiting does not cancel the future when the awaiting task
    /// is cancelled (others may await it too): call `cancel()` for that.
    public var value: Value {
        @inlinable get async throws {
            if loop.inEventLoop, let result {
                observed = true
                return try result.get()
            }
            // A checked continuation: resuming an unsafe one from the loop thread was reported by ThreadSanitizer
            // (3 runs of 16) as racing with the resumed task reusing its frame on a global-executor thread; with
            // the checked one, 36 runs were clean. The cause was not pinned down further. Not a hot path.
            return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                let register: @Sendable () -> Void = {
                    self.addCallback { continuation.resume(with: self.result!) }
                    if !self.isComplete && !self.awaited {
                        self.awaited = true
                        self.loop.rememberAwaited(ObjectIdentifier(self)) {
                            self.complete(.failure(LoopError.shutDown))
                        }
                    }
                }
                if loop.inEventLoop {
                    register()
                } else if !loop.enqueue(.callback(register), site: CallSite(file: #fileID, line: #line)) {
                    continuation.resume(throwing: LoopError.shutDown)
                }
            }
        }
    }
}

/// A future's value when it does not fit the future's inline storage.
@usableFromInline
final class FutureValueBox<Value> {
    @usableFromInline let value: Value

    @inlinable
    init(_ value: Value) {
        self.value = value
    }
}

/// The progress of `Future.all`: values so far and how many are missing. Touched only on the gathering loop.
private final class Gathering<Value: Sendable>: @unchecked Sendable {
    var values: [Value?]
    var remaining: Int

    init(count: Int) {
        values = Array(repeating: nil, count: count)
        remaining = count
    }
}
