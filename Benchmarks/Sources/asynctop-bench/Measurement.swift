import AsyncTopTrace
import Foundation
import MallocInterposerSwift

/// Timing and allocation counting shared by the benchmarks.
enum Measurement {
    /// Nanoseconds taken by `body`, on CLOCK_MONOTONIC.
    static func nanoseconds(_ body: () -> Void) -> Double {
        let start = TraceClock.monotonicNanoseconds()
        body()
        return Double(TraceClock.monotonicNanoseconds() - start)
    }

    /// The median of `runs` measurements of nanoseconds per operation, after one warm-up run.
    static func medianNanosecondsPerOperation(runs: Int = 5, operations: Int, _ body: () -> Void) -> Double {
        body()
        let samples = (0..<runs).map { _ in nanoseconds(body) / Double(operations) }.sorted()
        return samples[samples.count / 2]
    }

    /// The median of `values` (the mean of the middle two for an even count; NaN for none).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count.isMultiple(of: 2)
            ? (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2 : sorted[sorted.count / 2]
    }

    /// Nanoseconds per bare read of the trace clock (`TraceClock.now`, the TSC here): the floor under every
    /// timestamp a tracer takes. Median of 5 runs of `reads`.
    static func clockReadNanoseconds(reads: Int = 10_000_000) -> Double {
        var sink: UInt64 = 0
        let perRead = medianNanosecondsPerOperation(operations: reads) {
            for _ in 0..<reads { sink &+= TraceClock.now() }
        }
        withExtendedLifetime(sink) {}
        return perRead
    }

    /// The best of `runs` measurements of operations per second, after one warm-up run.
    static func bestOperationsPerSecond(runs: Int = 5, operations: Int, _ body: () -> Void) -> Double {
        withoutActuallyEscaping(body) { body in
            compare(runs: runs, operations: operations, sides: [Side(body: body)]).bestOperationsPerSecond[0]
        }
    }

    /// One side of a comparison: `body` is timed, then `after` runs untimed (to let what `body` left behind finish
    /// before the next side), both inside `around` (which sets up and tears down what the side needs, untimed).
    struct Side {
        var around: (() -> Void) -> Void = { $0() }
        var body: () -> Void
        var after: () -> Void = {}
    }

    /// What `compare` measured: every round's time for every side.
    struct Comparison {
        var operations: Int
        /// `nanoseconds[round][side]`, warm-up excluded.
        var nanoseconds: [[Double]]

        /// Each side's best round, as operations per second.
        var bestOperationsPerSecond: [Double] {
            nanoseconds[0].indices.map { side in Double(operations) / nanoseconds.map { $0[side] }.min()! * 1e9 }
        }

        /// The median over rounds of side `a`'s time divided by side `b`'s in the same round. Sides that ran
        /// back to back share the machine's state of the moment, so this ratio stays put when the machine
        /// drifts, where a ratio of two bests can move by tens of percent from one run to the next.
        func medianTimeRatio(_ a: Int, to b: Int) -> Double {
            let ratios = nanoseconds.map { $0[a] / $0[b] }.sorted()
            let middle = ratios.count / 2
            return ratios.count.isMultiple(of: 2) ? (ratios[middle - 1] + ratios[middle]) / 2 : ratios[middle]
        }
    }

    /// Times every side `runs` times, the sides taking turns round by round after one warm-up round: a change
    /// in the machine's state during the measurement (this VM's rates drift by 2× between runs) hits every side
    /// alike instead of one.
    static func compare(runs: Int = 5, operations: Int, sides: [Side]) -> Comparison {
        var rounds: [[Double]] = []
        for round in 0...runs {
            var times: [Double] = []
            for side in sides {
                var elapsed = 0.0
                side.around {
                    elapsed = nanoseconds(side.body)
                    side.after()
                }
                times.append(elapsed)
            }
            if round > 0 { rounds.append(times) }
        }
        return Comparison(operations: operations, nanoseconds: rounds)
    }

    /// Heap allocations (malloc, calloc, realloc, posix_memalign) made by `body`, per operation. Needs the
    /// interposer preloaded (see `AllocationCounter.ensurePreloaded`); nil when it is not.
    static func allocationsPerOperation(operations: Int, _ body: () -> Void) -> Double? {
        guard AllocationCounter.isActive else { return nil }
        MallocInterposerSwift.initialize()
        MallocInterposerSwift.hook()
        body()
        MallocInterposerSwift.unhook()
        return Double(MallocInterposerSwift.getStatistics().mallocCount) / Double(operations)
    }
}

/// Counting allocations needs malloc-interposer's library loaded before main (LD_PRELOAD). The benchmark
/// re-executes itself with it preloaded when it was started without.
enum AllocationCounter {
    static let variable = "LD_PRELOAD"
    static let library = "libMallocInterposerSwift.so"

    static var isActive: Bool {
        ProcessInfo.processInfo.environment[variable]?.contains(library) == true
    }

    /// Re-executes this program with the interposer preloaded, if it is not already and the library sits next
    /// to the executable. Returns only if it did not re-execute.
    static func ensurePreloaded() {
        guard !isActive else { return }
        let executable = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0])
        let candidate = executable.deletingLastPathComponent().appendingPathComponent(library).path
        guard FileManager.default.fileExists(atPath: candidate) else { return }
        setenv(variable, candidate, 1)
        var arguments = CommandLine.arguments.map { strdup($0) }
        arguments.append(nil)
        execv(executable.path, &arguments)
    }
}

/// A benchmark's result: rows for the table and the same figures as a JSON object.
struct BenchmarkReport {
    struct Row {
        var key: String
        var value: Double?
        var unit: String
        var note: String
    }
    var title: String
    var rows: [Row] = []

    mutating func add(_ key: String, _ value: Double?, _ unit: String, _ note: String = "") {
        rows.append(Row(key: key, value: value, unit: unit, note: note))
    }

    func print(json: Bool) {
        if json {
            let fields = rows.map { row in "\"\(row.key)\": \(row.value.map { formatJSON($0) } ?? "null")" }
            Swift.print("{" + fields.joined(separator: ", ") + "}")
            return
        }
        Swift.print(title)
        let width = rows.map(\.key.count).max() ?? 0
        for row in rows {
            let key = row.key + String(repeating: " ", count: width - row.key.count)
            let value = row.value.map { formatTable($0) } ?? "n/a"
            let padded = String(repeating: " ", count: max(0, 14 - value.count)) + value
            Swift.print("  \(key)  \(padded) \(row.unit)\(row.note.isEmpty ? "" : "   " + row.note)")
        }
    }

    private func formatJSON(_ value: Double) -> String {
        value.isFinite ? String(format: "%.4g", value).replacingOccurrences(of: "e+", with: "e") : "null"
    }

    private func formatTable(_ value: Double) -> String {
        value >= 1e6 ? String(format: "%.3gM", value / 1e6) : String(format: value < 10 ? "%.2f" : "%.1f", value)
    }
}
