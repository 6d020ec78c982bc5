import ArgumentParser
import AsyncTopModel
import AsyncTopRuntime
import AsyncTopTrace
import AsyncTopUI
import Dispatch
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// `asynctop-bench loop`: the event loop's core operations, asynctop against SwiftNIO, in the same run.
///
/// Each case runs the same number of operations on one asynctop loop and on one loop of a
/// `MultiThreadedEventLoopGroup(numberOfThreads: 1)`, timed from the benchmark thread from the first operation
/// until the loop has run the last one (it signals a semaphore; nothing spins; what the case leaves to free is
/// freed before the next side starts, untimed): one warm-up, best of 5 (`--runs`),
/// the four sides (traced, untraced, NIO, watched) taking turns run by run. Beside the ratios of the bests, the table
/// gives the median of each round's ratio (`paired`): on a machine whose speed drifts, that is the steadier
/// figure.
///
/// - `execute_local`: 1M closures posted from inside a callback on the loop, each run once.
/// - `execute_remote`: 1M closures posted from the benchmark thread, each run once.
/// - `timer_fire`: 200k zero-delay timers armed from inside a callback, then fired.
/// - `timer_cancel`: 200k one-hour timers armed from inside a callback, then cancelled in arming order.
/// - `future_chain`: a chain of 200k steps, alternately `map` and `flatMap` (onto an already-succeeded
///   future), built on a pending promise inside a callback; the promise is then completed and the last
///   future's callback ends the run.
/// - `task_spawn`: 100k Swift tasks spawned from inside a callback onto the loop, each yielding once
///   (`await Task.yield()`); the run ends when the last one finishes. asynctop uses `loop.spawn(name:)`; NIO 2.101
///   is no `TaskExecutor`, so its tasks use `NIOTaskExecutor`, a minimal one forwarding jobs to `execute`.
///
/// asynctop runs traced (the default; nobody reads the region, so this is what the instrumentation costs), untraced
/// (`Tracer.isEnabled = false`), and watched: traced, with the live monitor's reader and aggregator draining the
/// region on another thread (what watching adds, through the caches and memory the cores share). Allocations per
/// operation come from one more run of each case under malloc-interposer (asynctop traced, no reader).
struct LoopBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loop",
        abstract: "Event loop operations (callbacks, timers, futures, tasks): asynctop against SwiftNIO.")

    @OptionGroup var options: ReportOptions

    @Option(name: .customLong("case"), help: "Run only this case (repeatable); all cases when absent.")
    var cases: [String] = []

    @Option(help: "Timed runs per side, after one warm-up.")
    var runs = 5

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        let known = Set(LoopCase.all.map(\.name))
        for name in cases where !known.contains(name) {
            throw ValidationError("unknown case '\(name)'; cases: \(LoopCase.all.map(\.name).joined(separator: ", "))")
        }
    }

    func run() throws {
        AllocationCounter.ensurePreloaded()
        let region = try Region()
        let loop = try AsyncTopRuntime.EventLoop(name: "bench-loop", region: region)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let nioLoop = group.next()

        var results: [CaseResult] = []
        for loopCase in LoopCase.all where cases.isEmpty || cases.contains(loopCase.name) {
            let n = loopCase.operations
            let comparison = Measurement.compare(
                runs: runs, operations: n,
                sides: [
                    .init(body: { loopCase.asynctop(loop, n) }, after: { settle(loop) }),
                    .init(
                        around: { run in
                            Tracer.isEnabled = false
                            run()
                            Tracer.isEnabled = true
                        }, body: { loopCase.asynctop(loop, n) }, after: { settle(loop) }),
                    .init(body: { loopCase.nio(nioLoop, n) }, after: { settle(nioLoop) }),
                    .init(
                        around: { run in LiveReader.whileReading(region, run) }, body: { loopCase.asynctop(loop, n) },
                        after: { settle(loop) })
                ])
            let rates = comparison.bestOperationsPerSecond
            let (traced, untraced, nio) = (rates[0], rates[1], rates[2])
            let asynctopAllocations = Measurement.allocationsPerOperation(operations: loopCase.operations) {
                loopCase.asynctop(loop, loopCase.operations)
                settle(loop)
            }
            let nioAllocations = Measurement.allocationsPerOperation(operations: loopCase.operations) {
                loopCase.nio(nioLoop, loopCase.operations)
                settle(nioLoop)
            }
            results.append(
                CaseResult(
                    name: loopCase.name, operations: loopCase.operations, asynctop: traced, untraced: untraced,
                    nio: nio,
                    pairedTracingCost: comparison.medianTimeRatio(0, to: 1) - 1,
                    pairedVersusNIO: comparison.medianTimeRatio(2, to: 0),
                    pairedWatchingCost: comparison.medianTimeRatio(3, to: 1) - 1,
                    asynctopAllocations: asynctopAllocations, nioAllocations: nioAllocations))
        }
        loop.shutdown()
        try group.syncShutdownGracefully()
        region.close()

        if options.json {
            printJSON(results)
        } else {
            printTable(results)
        }
    }

    private func printJSON(_ results: [CaseResult]) {
        let cases = results.map { result in
            let fields = [
                ("asynctop_ops_per_s", result.asynctop), ("asynctop_untraced_ops_per_s", result.untraced),
                ("nio_ops_per_s", result.nio), ("asynctop_allocs_per_op", result.asynctopAllocations),
                ("nio_allocs_per_op", result.nioAllocations),
                ("paired_tracing_cost", result.pairedTracingCost), ("paired_asynctop_vs_nio", result.pairedVersusNIO),
                ("paired_watched_cost", result.pairedWatchingCost)
            ].map { key, value in "\"\(key)\": \(value.map(jsonNumber) ?? "null")" }
            return "\"\(result.name)\": {" + fields.joined(separator: ", ") + "}"
        }
        print("{\"cases\": {" + cases.joined(separator: ", ") + "}}")
    }

    private func printTable(_ results: [CaseResult]) {
        print(
            "asynctop-bench loop  (ops/s, best of \(runs) after one warm-up, sides taking turns; one loop thread "
                + "each; allocs per op)"
        )
        let header = [
            "case", "ops", "asynctop", "untraced", "nio", "asynctop/nio", "tracing cost", "paired /nio", "paired cost",
            "watched cost", "allocs asynctop", "allocs nio"
        ]
        let rows = results.map { result in
            [
                result.name, String(result.operations), rate(result.asynctop), rate(result.untraced), rate(result.nio),
                String(format: "%.2f×", result.asynctop / result.nio),
                String(format: "%.1f%%", (result.untraced / result.asynctop - 1) * 100),
                String(format: "%.2f×", result.pairedVersusNIO),
                String(format: "%.1f%%", result.pairedTracingCost * 100),
                String(format: "%.1f%%", result.pairedWatchingCost * 100),
                result.asynctopAllocations.map { String(format: "%.2f", $0) } ?? "n/a",
                result.nioAllocations.map { String(format: "%.2f", $0) } ?? "n/a"
            ]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max()! }
        for row in [header] + rows {
            let cells = row.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - row[column].count)
                return column == 0 ? row[column] + padding : padding + row[column]
            }
            print("  " + cells.joined(separator: "  "))
        }
        print("  tracing cost: extra time per operation when traced, against untraced asynctop")
        print(
            "  paired: the median over runs of the same ratio within each run (NIO's time over asynctop's; traced "
                + "over untraced)"
        )
        print(
            "  watched cost: paired, traced with the live monitor's reader and aggregator on another thread, against "
                + "untraced"
        )
    }

    private func rate(_ value: Double) -> String {
        value >= 1e6 ? String(format: "%.2fM", value / 1e6) : String(format: "%.0fk", value / 1e3)
    }

    private func jsonNumber(_ value: Double) -> String {
        value.isFinite ? String(format: "%.4g", value).replacingOccurrences(of: "e+", with: "e") : "null"
    }
}

/// One case's figures.
private struct CaseResult {
    var name: String
    var operations: Int
    var asynctop: Double
    var untraced: Double
    var nio: Double
    /// Median over runs of traced time / untraced time, minus 1.
    var pairedTracingCost: Double
    /// Median over runs of NIO's time / traced asynctop's time.
    var pairedVersusNIO: Double
    /// Median over runs of watched time (traced, with a live reader) / untraced time, minus 1.
    var pairedWatchingCost: Double
    var asynctopAllocations: Double?
    var nioAllocations: Double?
}

/// One workload written for both loops. Each closure runs the workload's `operations` operations once and
/// returns when the loop has run the last one.
private struct LoopCase: Sendable {
    var name: String
    var operations: Int
    var asynctop: @Sendable (AsyncTopRuntime.EventLoop, Int) -> Void
    var nio: @Sendable (any NIOCore.EventLoop, Int) -> Void

    static let all = [executeLocal, executeRemote, timerFire, timerCancel, futureChain, taskSpawn]

    static let executeLocal = LoopCase(
        name: "execute_local", operations: 1_000_000,
        asynctop: { loop, n in
            awaitCountdown(n) { countdown in
                loop.execute {
                    for _ in 0..<n { loop.execute { countdown.tick() } }
                }
            }
        },
        nio: { loop, n in
            awaitCountdown(n) { countdown in
                loop.execute {
                    for _ in 0..<n { loop.execute { countdown.tick() } }
                }
            }
        })

    static let executeRemote = LoopCase(
        name: "execute_remote", operations: 1_000_000,
        asynctop: { loop, n in
            awaitCountdown(n) { countdown in
                for _ in 0..<n { loop.execute { countdown.tick() } }
            }
        },
        nio: { loop, n in
            awaitCountdown(n) { countdown in
                for _ in 0..<n { loop.execute { countdown.tick() } }
            }
        })

    static let timerFire = LoopCase(
        name: "timer_fire", operations: 200_000,
        asynctop: { loop, n in
            awaitCountdown(n) { countdown in
                loop.execute {
                    for _ in 0..<n { loop.schedule(after: .zero) { countdown.tick() } }
                }
            }
        },
        nio: { loop, n in
            awaitCountdown(n) { countdown in
                loop.execute {
                    for _ in 0..<n { loop.scheduleTask(in: .zero) { countdown.tick() } }
                }
            }
        })

    /// Cancelled in arming order, the order timeouts of equal length are usually cancelled in. (NIO finds the
    /// task to cancel by a linear search of its heap, which this order keeps at the front.)
    static let timerCancel = LoopCase(
        name: "timer_cancel", operations: 200_000,
        asynctop: { loop, n in
            awaitCountdown(1) { countdown in
                loop.execute {
                    var timers: [TimerHandle] = []
                    timers.reserveCapacity(n)
                    for _ in 0..<n { timers.append(loop.schedule(after: .seconds(3600)) {}) }
                    for timer in timers { timer.cancel() }
                    countdown.tick()
                }
            }
        },
        nio: { loop, n in
            awaitCountdown(1) { countdown in
                loop.execute {
                    var timers: [Scheduled<Void>] = []
                    timers.reserveCapacity(n)
                    for _ in 0..<n { timers.append(loop.scheduleTask(in: .hours(1)) {}) }
                    for timer in timers { timer.cancel() }
                    countdown.tick()
                }
            }
        })

    /// Each `flatMap` step returns a future already succeeded on the loop of the future before it.
    static let futureChain = LoopCase(
        name: "future_chain", operations: 200_000,
        asynctop: { loop, n in
            awaitCountdown(1) { countdown in
                loop.execute {
                    let promise = loop.makePromise(of: Int.self)
                    var future = promise.future
                    for step in 0..<n {
                        let previous = future
                        future =
                            step.isMultiple(of: 2)
                            ? future.map { $0 + 1 } : future.flatMap { previous.loop.makeSucceededFuture($0 + 1) }
                    }
                    future.whenComplete { _ in countdown.tick() }
                    promise.succeed(0)
                }
            }
        },
        nio: { loop, n in
            awaitCountdown(1) { countdown in
                loop.execute {
                    let promise = loop.makePromise(of: Int.self)
                    var future = promise.futureResult
                    for step in 0..<n {
                        let previous = future
                        future =
                            step.isMultiple(of: 2)
                            ? future.map { $0 + 1 } : future.flatMap { previous.eventLoop.makeSucceededFuture($0 + 1) }
                    }
                    future.whenComplete { _ in countdown.tick() }
                    promise.succeed(0)
                }
            }
        })

    static let taskSpawn = LoopCase(
        name: "task_spawn", operations: 100_000,
        asynctop: { loop, n in
            awaitCountdown(n) { countdown in
                loop.execute {
                    for _ in 0..<n {
                        loop.spawn(name: "bench-task") {
                            await Task.yield()
                            countdown.tick()
                        }
                    }
                }
            }
        },
        nio: { loop, n in
            let executor = NIOTaskExecutor(loop: loop)
            awaitCountdown(n) { countdown in
                loop.execute {
                    for _ in 0..<n {
                        Task(executorPreference: executor) {
                            await Task.yield()
                            countdown.tick()
                        }
                    }
                }
            }
        })
}

/// Counts a case's operations down on the loop thread and wakes the benchmark thread at zero. Touched only by
/// the loop thread (hence no atomics); the semaphore publishes the work done to the waiter.
private final class Countdown: @unchecked Sendable {
    private var remaining: Int
    private let done = DispatchSemaphore(value: 0)

    init(_ count: Int) {
        remaining = count
    }

    func tick() {
        remaining -= 1
        if remaining == 0 { done.signal() }
    }

    func wait() {
        done.wait()
    }
}

/// Blocks until `loop` has run everything queued before this call. A case's clock stops at its last tick, and
/// what the case then leaves to free (its timers, futures, tasks) is freed after it on the loop thread: settling
/// keeps that out of the next side's timed run. Untimed.
private func settle(_ loop: AsyncTopRuntime.EventLoop) {
    let done = DispatchSemaphore(value: 0)
    loop.execute { done.signal() }
    done.wait()
}

private func settle(_ loop: any NIOCore.EventLoop) {
    try? loop.submit {}.wait()
}

/// Starts a workload with a countdown of `count` and blocks until the loop has ticked it to zero.
private func awaitCountdown(_ count: Int, _ start: (Countdown) -> Void) {
    let countdown = Countdown(count)
    start(countdown)
    countdown.wait()
}

/// A Swift task executor that runs jobs as callbacks of a NIO event loop: what NIO 2.101 lacks to give tasks an
/// executor preference.
final class NIOTaskExecutor: TaskExecutor {
    let loop: any NIOCore.EventLoop

    init(loop: any NIOCore.EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        loop.execute { unowned.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// The live monitor's reading, on a thread of its own while a traced case runs: a `LiveFeed` that reads the
/// region's rings and aggregates what it reads, as often as the feed asks (`readIntervalNanoseconds`, the rings'
/// half-fill time), without drawing. A ring overwrites what the reader has not taken, so the loop never waits for
/// it.
private final class LiveReader: @unchecked Sendable {
    private let feed: LiveFeed
    private let stopping = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)

    /// Catches up with what the region already holds (on the caller's thread, untimed), then reads on its own.
    private init(region: Region) {
        feed = LiveFeed(
            source: InProcessSource(region: region), thresholds: WarningThresholds(),
            retentionNanoseconds: 10_000_000_000)
        feed.update(wallNanoseconds: TraceClock.monotonicNanoseconds(), final: true)
        Thread { [self] in
            while !stopping.load(ordering: .relaxed) {
                feed.update(wallNanoseconds: TraceClock.monotonicNanoseconds(), final: false)
                usleep(UInt32(feed.readIntervalNanoseconds / 1_000))
            }
            stopped.signal()
        }.start()
    }

    /// Runs `body` while a reader drains `region`.
    static func whileReading(_ region: Region, _ body: () -> Void) {
        let reader = LiveReader(region: region)
        defer {
            reader.stopping.store(true, ordering: .relaxed)
            reader.stopped.wait()
        }
        body()
    }
}
