import AsyncTopTrace
import CAsyncTopSupport
import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Starts an event loop's thread and hands it its loop.
///
/// The thread claims its trace ring itself (so the ring records the loop thread's id) before the loop object
/// exists; `EventLoop.init` waits for that, takes the tracer, finishes initialising, then `launch`es the thread.
/// The thread is detached: `EventLoop.shutdown()` waits for it to leave the loop's exit group instead of joining.
final class LoopThread: @unchecked Sendable {
    private let region: Region
    private let loopID: UInt16
    private let name: String
    private let started = DispatchSemaphore(value: 0)
    private let go = DispatchSemaphore(value: 0)
    private var loop: EventLoop?
    /// Set by the thread before `started` is signalled.
    private(set) var tracer: Tracer?
    private(set) var thread = pthread_t()
    private(set) var kernelThreadID: UInt64 = 0

    private init(region: Region, loopID: UInt16, name: String) {
        self.region = region
        self.loopID = loopID
        self.name = name
    }

    /// Creates the thread and waits until it has claimed its ring.
    static func start(region: Region, loopID: UInt16, name: String) throws(IOError) -> LoopThread {
        let handshake = LoopThread(region: region, loopID: loopID, name: name)
        let retained = Unmanaged.passRetained(handshake)
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { argument in
                Unmanaged<LoopThread>.fromOpaque(argument!).takeRetainedValue().main()
                return nil
            }, retained.toOpaque())
        guard result == 0 else {
            retained.release()
            throw IOError(call: "pthread_create", errno: result)
        }
        pthread_detach(thread)
        handshake.started.wait()
        return handshake
    }

    /// Hands the initialised loop to the thread, which starts turning it.
    func launch(_ loop: EventLoop) {
        self.loop = loop
        go.signal()
    }

    private func main() {
        thread = pthread_self()
        kernelThreadID = asynctop_thread_id()
        nameThread()
        tracer = region.makeTracer(loop: loopID)
        started.signal()
        runLoop()?.leave()
    }

    /// Shows the loop's name for its thread in `top -H`, `ps -L` and debuggers (the kernel keeps 15 bytes).
    private func nameThread() {
        let fd = open("/proc/self/task/\(kernelThreadID)/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    /// Runs the loop to its end and returns its exit group; the loop reference is dropped on return, so the last
    /// release of the loop (if it is the last) happens before waiters are told the thread is done.
    private func runLoop() -> DispatchGroup? {
        go.wait()
        guard let loop else { return nil }
        self.loop = nil
        loop.runOnThread()
        return loop.exited
    }
}
