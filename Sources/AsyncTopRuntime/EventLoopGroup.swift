import AsyncTopTrace
import Synchronization

/// A fixed set of event loops, one thread each, handed out round-robin by `next()` (one relaxed atomic add).
public final class EventLoopGroup: Sendable {
    /// The loops, in creation order.
    public let loops: [EventLoop]
    private let cursor = Atomic<UInt>(0)

    /// Starts `threads` loops named "<name>-0", "<name>-1", …, tracing into `region` (default: the shared one).
    public init(threads: Int, region: Region? = nil, name: String = "asynctop-loop") throws(LoopError) {
        guard threads > 0 else { throw .invalidThreadCount(threads) }
        var loops: [EventLoop] = []
        do throws(LoopError) {
            for index in 0..<threads {
                loops.append(try EventLoop(name: "\(name)-\(index)", region: region))
            }
        } catch {
            for loop in loops { loop.shutdown() }
            throw error
        }
        self.loops = loops
    }

    /// The next loop, round-robin.
    public func next() -> EventLoop {
        loops[Int(cursor.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(loops.count))]
    }

    /// Shuts every loop down and waits for their threads (see `EventLoop.shutdown()`).
    public func shutdown() {
        for loop in loops { loop.shutdown() }
    }

    /// `shutdown()` for async callers.
    public func shutdown() async {
        for loop in loops { await loop.shutdown() }
    }
}
