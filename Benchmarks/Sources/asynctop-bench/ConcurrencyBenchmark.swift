import ArgumentParser
import AsyncTopConcurrency
import AsyncTopTrace
import CAsyncTopConcurrency
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `asynctop-bench concurrency`: what the concurrency tap adds to a Swift Concurrency job, tapped against untapped
/// in the same process.
///
/// The workload is yield-heavy: a TaskGroup of 64 tasks, each yielding 2 000 times (`await Task.yield()`), on
/// Swift's own global executor; every yield is one job (an enqueue through the global-executor hook and a run on a
/// pool thread), so there are 128 064 jobs a round, counted by the tasks themselves. Rounds alternate tapped and
/// untapped (`ConcurrencyTap.suspend()` / `resume()` put the runtime's own path back and take it out again), one
/// warm-up pair, then `--runs` pairs; each figure is the median over pairs. The region is not read during the
/// run, so the tapped side is the instrumentation alone.
///
/// - `jobs_per_s_tapped`, `jobs_per_s_untapped`: wall-clock throughput of each side (median of its rounds).
/// - `tapped_vs_untapped`: the median of each pair's throughput ratio.
/// - `tap_ns_per_job`: what the tap adds to one job: its whole per-job instrumentation (the enqueue stamp and
///   event, the start and end events, three clock reads) run 1M times in a loop inside a task, median of 9 runs.
///   Beside it, in the same run, `clock_read_ns`: one read of the trace clock, the floor under three of them.
///   The workload's CPU time per job cannot show it: a job costs ~2.5 µs of CPU there, and that figure moves by
///   more than the tap's cost from round to round (dispatch's threads spin and park as they please);
///   `cpu_ns_per_job_tapped` and `_untapped` are printed for the record.
/// - `allocations_per_job`: heap allocations of the tap's per-job work, counted over 1M runs of it in a loop under
///   malloc-interposer (exact: nothing else runs in that loop); `allocations_per_job_workload`, a tapped round's
///   count less an untapped one's, which also counts what dispatch allocates as its threads interleave.
struct ConcurrencyBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concurrency", abstract: "Swift Concurrency jobs on the global executor: tapped against untapped.")

    @OptionGroup var options: ReportOptions

    @Option(help: "Timed pairs of rounds, after one warm-up pair.")
    var runs = 9

    static let tasks = 64
    static let yieldsPerTask = 2_000
    static var jobsPerRound: Int { tasks * (yieldsPerTask + 1) }

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        AllocationCounter.ensurePreloaded()
        let tap = try AsyncTop.traceConcurrency(region: try Region())
        var pairs: [(tapped: Round, untapped: Round)] = []
        for pair in 0...runs {
            tap.resume()
            let tapped = Self.round()
            tap.suspend()
            let untapped = Self.round()
            if pair > 0 { pairs.append((tapped, untapped)) }
        }
        // Allocations: counted process-wide, so the spawn-site symbolicator (which allocates plenty, once per new
        // call path) must be done first; the sides take turns twice and the second pair counts (the first
        // allocation count of a process takes in the counter's own start-up).
        tap.flushSpawnSites(timeout: 10)
        var allocations: (tapped: Double?, untapped: Double?) = (nil, nil)
        for _ in 0..<2 {
            tap.resume()
            allocations.tapped = Measurement.allocationsPerOperation(operations: Self.jobsPerRound) { _ = Self.round() }
            tap.suspend()
            allocations.untapped = Measurement.allocationsPerOperation(operations: Self.jobsPerRound) {
                _ = Self.round()
            }
        }
        let jobs = Double(Self.jobsPerRound)
        let median = Measurement.median
        var report = BenchmarkReport(
            title:
                "Swift Concurrency jobs, tapped against untapped (\(Self.jobsPerRound) jobs a round, \(runs) pairs, "
                + "medians)"
        )
        report.add("jobs_per_s_tapped", median(pairs.map { jobs / $0.tapped.wallSeconds }), "jobs/s")
        report.add("jobs_per_s_untapped", median(pairs.map { jobs / $0.untapped.wallSeconds }), "jobs/s")
        report.add(
            "tapped_vs_untapped", median(pairs.map { $0.untapped.wallSeconds / $0.tapped.wallSeconds }), "×",
            "throughput ratio, paired")
        tap.resume()
        report.add("tap_ns_per_job", Self.instrumentationNanoseconds(tap), "ns", "the tap's per-job work, in a loop")
        report.add(
            "clock_read_ns", Measurement.clockReadNanoseconds(), "ns",
            "baseline: one trace-clock read (the tap makes 3)")
        report.add(
            "cpu_ns_per_job_tapped", median(pairs.map { $0.tapped.cpuSeconds * 1e9 / jobs }), "ns",
            "whole-process CPU per job")
        report.add(
            "cpu_ns_per_job_untapped", median(pairs.map { $0.untapped.cpuSeconds * 1e9 / jobs }), "ns",
            "whole-process CPU per job")
        let addedAllocations = allocations.tapped.flatMap { tapped in allocations.untapped.map { tapped - $0 } }
        report.add(
            "allocations_per_job", Self.instrumentationAllocations(tap), "",
            "the tap's per-job work (n/a without malloc-interposer)")
        report.add("allocations_per_job_workload", addedAllocations, "", "tapped round less untapped, whole process")
        let counts = tap.counts
        report.add("untimed_jobs", Double(counts.untimed_jobs), "", "jobs of a priority with no known queue")
        report.print(json: options.json)
    }

    /// Heap allocations per iteration of the tap's per-job instrumentation, over 1M iterations inside a task.
    static func instrumentationAllocations(_ tap: ConcurrencyTap) -> Double? {
        inDetachedTask {
            asynctop_tap_measure_instrumentation(1_000)  // the thread's ring is claimed (once) before counting
            tap.flushSpawnSites(timeout: 10)  // this task's own spawn site is being named: let that finish
            return Measurement.allocationsPerOperation(operations: 1_000_000) {
                asynctop_tap_measure_instrumentation(1_000_000)
            }
        }
    }

    /// Nanoseconds per iteration of the tap's per-job instrumentation, median of 9 runs of 1M, inside a task.
    static func instrumentationNanoseconds(_ tap: ConcurrencyTap) -> Double {
        inDetachedTask {
            tap.flushSpawnSites(timeout: 10)  // this task's own spawn site is being named: let that finish
            let iterations = 1_000_000
            return Measurement.medianNanosecondsPerOperation(runs: 9, operations: iterations) {
                asynctop_tap_measure_instrumentation(UInt64(iterations))
            }
        }
    }

    /// Runs `body` in a detached task on the global executor and waits for its result on this thread (the
    /// benchmark's own thread is no pool thread, so waiting here holds nothing up).
    static func inDetachedTask<Result: Sendable>(_ body: @escaping @Sendable () async -> Result) -> Result {
        let box = ResultBox<Result>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            let value = await body()
            box.value.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return box.value.withLock { $0! }
    }

    /// Carries a detached task's result to the waiting thread.
    final class ResultBox<Value: Sendable>: Sendable { let value = Mutex<Value?>(nil) }

    struct Round {
        var wallSeconds: Double
        var cpuSeconds: Double
    }

    /// One round of the workload, from the benchmark thread: wall and process CPU time until every task is done.
    static func round() -> Round {
        let done = DispatchSemaphore(value: 0)
        let cpuBefore = processCPUSeconds()
        let start = TraceClock.monotonicNanoseconds()
        // Not `inDetachedTask`: its closure and result box would be timed with the round.
        Task.detached {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<tasks {
                    group.addTask {
                        for _ in 0..<yieldsPerTask { await Task.yield() }
                    }
                }
            }
            done.signal()
        }
        done.wait()
        let wall = Double(TraceClock.monotonicNanoseconds() - start) / 1e9
        return Round(wallSeconds: wall, cpuSeconds: processCPUSeconds() - cpuBefore)
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
            usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
