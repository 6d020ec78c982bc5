import AsyncTopTrace
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Makes each event loop of a SwiftNIO `MultiThreadedEventLoopGroup` an asynctop loop: a metrics delegate
/// (`MultiThreadedEventLoopGroup(numberOfThreads:metricsDelegate:)`) that writes every tick NIO reports as loop
/// events on a ring of that loop's thread, numbered from `ProducerKind.nioLoopBase` ("NIO loop 1").
///
/// What NIO tells and what is estimated: NIO reports, after each tick, its start and end (the tick runs the loop's
/// queued tasks), the tasks it ran, and the time since the previous tick ended. That time holds both the wait in
/// epoll and the I/O handlers that ran after it (channel reads and writes); the loop thread's CPU time
/// (`CLOCK_THREAD_CPUTIME_ID`) tells them apart: what the thread spent on CPU since the last tick, less the tick's
/// own length, is taken as I/O handling, just before the tick; the rest was idle. A tick that blocks without using
/// CPU (a `usleep` in a task) makes that estimate low, never high. Per tick this writes
/// `tickBegan` (arg: idle ticks) and `phase(io)` where the I/O handling began, `phase(callbacks)` where the tasks
/// began, and `tickEnded` (id: tasks run; arg: 0, since a NIO tick runs until its queue is empty).
///
/// Cost per tick, on the loop thread: one clock read, one thread-CPU-time read (a system call, ~0.3 µs here), four
/// events; no allocation, no lock. A loop's first tick claims its ring and writes `loopStarted`; its thread's end
/// writes `loopStopped`.
public final class AsyncTopLoopMetrics: NIOEventLoopMetricsDelegate, Sendable {
    private let region: Region
    private let loopsSeen = Atomic<UInt16>(0)
    /// The calling loop thread's `LoopRecorder`: a thread-local, since the delegate is called on each loop's thread.
    private let recorderKey: pthread_key_t
    private let next: (any NIOEventLoopMetricsDelegate)?

    /// A delegate writing into `region`. `next`, if given, is called after each tick too (another metrics
    /// delegate: NIO takes one).
    public init(region: Region, next: (any NIOEventLoopMetricsDelegate)? = nil) {
        self.region = region
        self.next = next
        var key = pthread_key_t()
        // The loop thread's end: its loop stopped. The recorder is released there.
        pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            let recorder = Unmanaged<LoopRecorder>.fromOpaque(pointer).takeRetainedValue()
            recorder.tracer.emit(.loopStopped, loop: recorder.loop)
        }
        self.recorderKey = key
    }

    public func processedTick(info: NIOEventLoopTickInfo) {
        if let pointer = pthread_getspecific(recorderKey) {
            Unmanaged<LoopRecorder>.fromOpaque(pointer).takeUnretainedValue().record(info)
        } else if let recorder = claimLoop() {
            pthread_setspecific(recorderKey, Unmanaged.passRetained(recorder).toOpaque())
            recorder.record(info)
        }
        next?.processedTick(info: info)
    }

    /// The first tick of a loop: claims a ring and a loop number for the calling thread. Nil once the NIO range of
    /// loop ids is used up (the loop is then not traced).
    private func claimLoop() -> LoopRecorder? {
        let number = loopsSeen.wrappingAdd(1, ordering: .relaxed).oldValue
        guard number < ProducerKind.poolThreadBase - ProducerKind.nioLoopBase else { return nil }
        let loop = ProducerKind.nioLoopBase + number
        let tracer = region.makeTracer(loop: loop)
        tracer.emit(.loopStarted, loop: loop, id: ProcessIdentity.currentThreadID)
        return LoopRecorder(tracer: tracer, loop: loop, calibration: region.calibration)
    }
}

/// One NIO loop's producer side. Thread-confined: only its loop's thread touches it.
final class LoopRecorder {
    let tracer: Tracer
    let loop: UInt16
    private let calibration: ClockCalibration
    private var lastCPUNanoseconds: UInt64?
    private let thread = pthread_self()

    init(tracer: Tracer, loop: UInt16, calibration: ClockCalibration) {
        self.tracer = tracer
        self.loop = loop
        self.calibration = calibration
    }

    func record(_ info: NIOEventLoopTickInfo) {
        assert(pthread_equal(thread, pthread_self()) != 0, "a NIO loop's recorder used off its thread")
        let end = tracer.now()
        let cpu = Self.threadCPUNanoseconds()
        let tickNanoseconds =
            info.endTime.uptimeNanoseconds &- min(info.endTime.uptimeNanoseconds, info.startTime.uptimeNanoseconds)
        let sleepNanoseconds = UInt64(max(0, info.sleepTime.nanoseconds))
        var ioNanoseconds: UInt64 = 0
        if let last = lastCPUNanoseconds, cpu > last {
            let spent = cpu - last
            ioNanoseconds = min(sleepNanoseconds, spent > tickNanoseconds ? spent - tickNanoseconds : 0)
        }
        lastCPUNanoseconds = cpu
        let start = end &- min(end, ticks(tickNanoseconds))
        let ioStart = start &- min(start, ticks(ioNanoseconds))
        tracer.emit(.tickBegan, at: ioStart, loop: loop, arg: ticks(sleepNanoseconds - ioNanoseconds))
        tracer.emit(.phase, at: ioStart, loop: loop, id: LoopPhase.io.rawValue)
        tracer.emit(.phase, at: start, loop: loop, id: LoopPhase.callbacks.rawValue)
        tracer.emit(.tickEnded, at: end, loop: loop, id: UInt64(max(0, info.numberOfTasks)))
    }

    @inline(__always)
    private func ticks(_ nanoseconds: UInt64) -> UInt64 { calibration.ticks(nanoseconds: nanoseconds) }

    private static func threadCPUNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
