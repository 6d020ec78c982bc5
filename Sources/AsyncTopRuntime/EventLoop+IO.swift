import AsyncTopTrace
import CAsyncTopSupport
import DequeModule
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// I/O: watching descriptors, the poll phase (epoll, with the timeout to the next timer) and the I/O handlers.
extension EventLoop {
    /// Registers `descriptor` with the loop's epoll (level-triggered): `handler` runs on the loop, with the watch
    /// and the readiness, whenever the descriptor is ready for `interest` (and on hang-up or error). The watch
    /// owns the descriptor from now on: `unwatch()` and shutdown close it. Must be called on the loop thread (wrap
    /// it in `submit` from elsewhere).
    public func watch(
        _ descriptor: IODescriptor, interest: IOEvents, file: StaticString = #fileID, line: UInt = #line,
        handler: @escaping (IOWatch, IOEvents) -> Void
    ) throws(LoopError) -> IOWatch {
        guard inEventLoop else { throw .notOnLoopThread(operation: "watch") }
        guard state.load(ordering: .relaxed) == State.open else { throw .shutDown }
        let name = tracingEnabled ? siteNames.name(file: file, line: line, in: region.names) : .none
        let generation: UInt32
        do throws(IOError) {
            generation = try reactor.add(fd: descriptor.rawValue, interest: interest, name: name, handler: handler)
        } catch {
            throw .system(error)
        }
        trace(
            .ioRegistered, name: name, id: UInt64(UInt32(bitPattern: descriptor.rawValue)),
            arg: UInt64(interest.rawValue))
        return IOWatch(loop: self, descriptor: descriptor, generation: generation)
    }

    func updateWatch(_ watch: IOWatch, interest: IOEvents) {
        runOnLoop { [self] in
            _ = try? reactor.modify(fd: watch.descriptor.rawValue, generation: watch.generation, interest: interest)
        }
    }

    func removeWatch(_ watch: IOWatch, closing: Bool) {
        runOnLoop { [self] in
            guard reactor.remove(fd: watch.descriptor.rawValue, generation: watch.generation) else { return }
            trace(.ioUnregistered, id: UInt64(UInt32(bitPattern: watch.descriptor.rawValue)))
            if closing { watch.descriptor.close() }
        }
    }

    /// The poll phase: waits for I/O, up to the next timer's deadline, or not at all when work is waiting.
    func poll() -> Int {
        var timeout: UInt64?
        if !callbacks.isEmpty || !microtasks.isEmpty {
            timeout = 0
        } else if let next = timers.nextDeadline() {
            let now = TraceClock.monotonicNanoseconds()
            timeout = next > now ? next - now : 0
        }
        let mayBlock = timeout != 0
        if mayBlock {
            // Announce the sleep before the last look at the remote queue: a thread that queues after that look
            // sees `sleeping` and writes the eventfd.
            sleeping.store(true, ordering: .sequentiallyConsistent)
            if remote.withLock({ !$0.items.isEmpty || !$0.open }) {
                sleeping.store(false, ordering: .sequentiallyConsistent)
                timeout = 0
            }
        }
        let tracing = tracingEnabled
        let before = clock
        let count = reactor.wait(timeoutNanoseconds: timeout)
        if mayBlock { sleeping.store(false, ordering: .sequentiallyConsistent) }
        if tracing {
            clock = tracer.now()
            lastPollEnd = clock
            lastSleepTicks = clock &- before
        } else {
            lastSleepTicks = 0
        }
        return count
    }

    func dispatchIO(count: Int, budget: Int) -> Int {
        var ran = 0
        for index in 0..<count {
            let event = reactor.events[index]
            guard let (fd, registration) = reactor.registration(for: event.data.u64) else {
                if event.data.u64 == Reactor.wakeToken { reactor.consumeWake() }
                continue
            }
            let readiness = IOEvents(epollEvents: event.events)
            let callbackID = nextCallbackID
            nextCallbackID &+= 1
            // Held (step mode) before the handler's events, so that its callback does not last the hold.
            let step = beginStep()
            if tracingEnabled {
                traceAtClock(.ioReady, id: UInt64(UInt32(bitPattern: fd)), arg: UInt64(readiness.rawValue))
                traceAtClock(.callbackBegan, name: registration.name, id: callbackID, arg: sinceClock(lastPollEnd))
            }
            ran += 1
            registration.handler(
                IOWatch(loop: self, descriptor: IODescriptor(rawValue: fd), generation: registration.generation),
                readiness)
            trace(.callbackEnded, id: callbackID)
            endStep(step, .io, id: callbackID)
            drainMicrotasks(&ran, budget: budget)
        }
        return ran
    }
}
