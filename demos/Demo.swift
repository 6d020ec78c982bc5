import AsyncTopConcurrency
import AsyncTopRuntime
import AsyncTopTrace
import Synchronization

/// A teaching workload: one phenomenon of async programming on the real runtime, with the story to tell
/// while it runs. `start` arranges the work on the context's loops and returns at once; the work keeps
/// going (in rounds) until the context is stopped.
public struct Demo: Sendable {
    public let name: String
    /// One line for `asynctop demo`.
    public let summary: String
    /// What happens, what to look at in which view, what to try. Shown in the caption panel, through
    /// `narrative(naming:)`: `{loop N}` stands for the group's loop N.
    public let narrative: [String]
    /// How many loops the demo's group has.
    public let loops: Int
    /// True for a demo on Swift Concurrency's own global executor (not on asynctop's loops): the concurrency
    /// tap writes into the demo's region while it runs, and its loop only starts the rounds.
    public var usesGlobalExecutor = false
    let start: @Sendable (DemoContext) -> Void

    /// The narrative with each `{loop N}` (`{Loop N}` at the start of a sentence) written as the monitor names the
    /// group's loop N (`loop 7`): loop ids count up across the process, so the tour's third demo has no loop 0.
    public func narrative(naming group: EventLoopGroup) -> [String] {
        narrative.map { line in
            var text = line
            for (index, loop) in group.loops.enumerated() {
                let name = ProducerKind.name(loop: loop.id)
                text = text.replacing("{loop \(index)}", with: name)
                text = text.replacing("{Loop \(index)}", with: name.prefix(1).uppercased() + name.dropFirst())
            }
            return text
        }
    }
}

/// What a running demo works with: its loops, a stop flag its rounds check, and a short log of what it has
/// said (shown under the narrative).
public final class DemoContext: Sendable {
    public let group: EventLoopGroup
    private let stopped = Atomic<Bool>(false)
    private let log = Mutex<[String]>([])
    static let logLimit = 4

    init(group: EventLoopGroup) { self.group = group }

    public var loop: EventLoop { group.loops[0] }
    public var isStopped: Bool { stopped.load(ordering: .relaxed) }
    func stop() { stopped.store(true, ordering: .relaxed) }

    /// Adds a line to the demo's log (the "print" of a demo: the monitor owns the terminal).
    public func say(_ line: String) {
        log.withLock {
            $0.append(line)
            if $0.count > Self.logLimit { $0.removeFirst() }
        }
    }

    public var recentLog: [String] { log.withLock { $0 } }

    /// Runs `body` every `period` on `loop` until the demo stops (a repeating timer, cancelled at stop).
    public func every(
        _ period: Duration, on loop: EventLoop, file: StaticString = #fileID, line: UInt = #line,
        _ body: @escaping @Sendable () -> Void
    ) {
        loop.execute {
            _ = loop.scheduleRepeating(every: period, startingAfter: .zero, file: file, line: line) { [self] tick in
                if isStopped { tick.handle.cancel() } else { body() }
            }
        }
    }
}

/// Keeps the CPU busy for `milliseconds` without yielding: what a blocking callback does to its loop.
public func spin(milliseconds: Double) {
    let end = TraceClock.monotonicNanoseconds() + UInt64(milliseconds * 1e6)
    var x: UInt64 = 0
    while TraceClock.monotonicNanoseconds() < end { x &+= 1 }
    withExtendedLifetime(x) {}
}

/// A demo in progress: its own region (so each demo starts from a clean trace), its loop group, its context.
public final class RunningDemo: Sendable {
    public let demo: Demo
    public let region: Region
    public let context: DemoContext

    /// Rings of 256 Ki events (8 MiB, touched only as used): a demo at full speed fills one in about 100 ms,
    /// so a reader held up on a busy machine still loses nothing.
    static let layout = RegionLayout(ringCount: 8, ringCapacity: 1 << 18, namesCapacity: 1 << 20)

    public init(_ demo: Demo, publish: Bool = false) throws {
        self.demo = demo
        let name = "asynctop demo \(demo.name)"
        region =
            publish
            ? try Region.publish(layout: Self.layout, processName: name)
            : try Region(layout: Self.layout, processName: name)
        context = DemoContext(group: try EventLoopGroup(threads: demo.loops, region: region, name: demo.name))
        if demo.usesGlobalExecutor {
            let tap = try AsyncTop.traceConcurrency(region: region)
            if tap.region !== region { tap.trace(into: region) }
        }
        demo.start(context)
    }

    /// Stops the rounds, shuts the loops down (running or cancelling what is pending) and closes the region.
    public func stop() {
        context.stop()
        context.group.shutdown()
        region.close()
    }
}

/// Whole milliseconds of a duration, for demo logs.
public func milliseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
}
