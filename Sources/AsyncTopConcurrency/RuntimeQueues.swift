import CAsyncTopConcurrency
import Dispatch
import Synchronization

/// Learns the libdispatch queues the runtime's default global executor puts jobs on, one per priority, so that
/// the tap hands each job to exactly the queue the runtime would have used (same width, same threads): it runs
/// one short detached task per priority and asks dispatch which queue that task's job is on.
///
/// The runtime creates these queues itself ("Swift global concurrent queue", as wide as the machine has CPUs)
/// and keeps them private; asking from inside one of its jobs is the only public way to them.
enum RuntimeQueues {
    /// Swift's task priorities (`TaskPriority` raw values): unspecified, background, utility/low, medium,
    /// userInitiated/high, userInteractive. A task asked for with one may run its job at another (unspecified
    /// becomes the creating thread's); each probe records the priority its job really has.
    static let priorities: [UInt8] = [0x00, 0x09, 0x11, 0x15, 0x19, 0x21]
    static let runtimeQueueLabel = "Swift global concurrent queue"

    static func learn() throws(ConcurrencyTapError) {
        final class Found: Sendable { let entries = Mutex<[(priority: UInt8, queue: UInt, label: String)]>([]) }
        let found = Found()
        let done = DispatchSemaphore(value: 0)
        for priority in priorities {
            Task.detached(priority: TaskPriority(rawValue: priority)) {
                let queue = asynctop_tap_current_queue()
                let label = queue.flatMap { asynctop_tap_queue_label($0) }.map { String(cString: $0) } ?? ""
                let actual = UInt8(truncatingIfNeeded: asynctop_tap_current_job_priority())
                let address = UInt(bitPattern: queue)
                found.entries.withLock { $0.append((actual, address, label)) }
                done.signal()
            }
        }
        for _ in priorities { done.wait() }
        let queues = found.entries.withLock { $0 }
        for entry in queues {
            guard let queue = UnsafeMutableRawPointer(bitPattern: entry.queue), entry.label == runtimeQueueLabel else {
                throw .unsupportedRuntime(
                    "its global executor runs jobs on a queue labelled '\(entry.label)', not '\(runtimeQueueLabel)'")
            }
            asynctop_tap_set_queue(entry.priority, queue)
        }
    }
}
