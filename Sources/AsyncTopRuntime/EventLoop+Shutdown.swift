import AsyncTopTrace
import CAsyncTopSupport
import DequeModule
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Shutdown: refusing new work, and the last turn.
extension EventLoop {
    /// Stops the loop and waits for its thread to end. New work is refused from now on (`execute` is ignored,
    /// `submit` and `spawn` give failed futures, timers never fire, task jobs go to the global executor); work
    /// already queued runs, timers still armed are cancelled, awaited futures still pending fail with
    /// `LoopError.shutDown`, watched descriptors are closed. Called on the loop thread, it only starts the
    /// shutdown, which happens when the current turn ends. Idempotent.
    public func shutdown() {
        requestStop()
        guard !inEventLoop else { return }
        exited.wait()
    }

    /// `shutdown()` for async callers: suspends instead of blocking the caller's thread.
    public func shutdown() async {
        requestStop()
        guard !inEventLoop else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            exited.notify(queue: .global()) { continuation.resume() }
        }
    }

    func requestStop() {
        stepper.resume()  // a loop held in step mode must be free to finish
        let first = remote.withLock { queue -> Bool in
            guard queue.open else { return false }
            queue.open = false
            return true
        }
        guard first else { return }
        state.store(State.stopping, ordering: .releasing)
        wakeIfSleeping()
    }

    /// The last turn: cancels timers, runs what was queued before the stop (and what that queues on this thread),
    /// fails awaited futures that can no longer complete, closes watched descriptors.
    func finish() {
        trace(.tickBegan, arg: lastSleepTicks)
        var ran = 0
        let cancelled = timers.cancelAll()
        for traceID in cancelled {
            traceAtClock(.timerCancelled, id: traceID)
        }
        while true {
            drainRemote()
            let awaited = awaitedFutures
            awaitedFutures = [:]
            for failForShutdown in awaited.values {
                failForShutdown()
            }
            guard !callbacks.isEmpty || !microtasks.isEmpty else { break }
            drainMicrotasks(&ran, budget: .max)
            while let item = callbacks.popFirst() {
                ran += 1
                run(item)
                drainMicrotasks(&ran, budget: .max)
            }
        }
        for (fd, registration) in reactor.registrations {
            _ = reactor.remove(fd: fd, generation: registration.generation)
            trace(.ioUnregistered, id: UInt64(UInt32(bitPattern: fd)))
            Glibc.close(fd)
        }
        reactor.close()
        trace(.tickEnded, id: UInt64(ran), arg: 0)
        trace(.loopStopped, id: UInt64(cancelled.count))
        state.store(State.stopped, ordering: .releasing)
    }
}
