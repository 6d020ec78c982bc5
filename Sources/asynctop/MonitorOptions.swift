import ArgumentParser
import AsyncTopModel
import AsyncTopUI

/// The monitor's flags, shared by every command that opens it: refresh rate, looks, and every warning
/// threshold (`RuleOptions`).
struct MonitorOptions: ParsableArguments {
    @Option(help: "Frames per second.")
    var refresh: Double = 10

    @Flag(help: "Draw with ASCII only (automatic when the locale is not UTF-8).")
    var ascii = false

    @Flag(name: .customLong("no-color"), help: "No colours (also when NO_COLOR is set).")
    var noColor = false

    @OptionGroup var rules: RuleOptions

    @Option(name: .customLong("retention-s"), help: "Keep finished tasks on screen this long.")
    var retentionSeconds: Double = 10

    func validate() throws {
        guard refresh > 0, refresh <= 60 else {
            throw ValidationError("--refresh is frames per second: more than 0 and at most 60 (got \(refresh))")
        }
        guard retentionSeconds >= 0 else { throw ValidationError("--retention-s must not be negative") }
    }

    var thresholds: WarningThresholds { rules.thresholds }

    var app: MonitorApp.Options {
        var options = MonitorApp.Options()
        options.refreshHz = refresh
        options.thresholds = thresholds
        options.retentionNanoseconds = UInt64(retentionSeconds * 1e9)
        options.ascii = ascii
        options.color = !noColor && (ProcessInfoLite.environment("NO_COLOR") ?? "").isEmpty
        return options
    }
}

/// The warning rules' thresholds: for every command that aggregates (the monitor, `record --on-warning`, `serve`).
struct RuleOptions: ParsableArguments {
    @Option(name: .customLong("blocking-ms"), help: "Warn when a callback or a task poll runs this long.")
    var blockingMilliseconds: Double = 10

    @Option(name: .customLong("starved-ms"), help: "Warn when a task is ready this long without running.")
    var starvedMilliseconds: Double = 50

    @Option(name: .customLong("late-timer-ms"), help: "Warn when a timer fires this late.")
    var lateTimerMilliseconds: Double = 10

    @Option(name: .customLong("queue-growth-s"), help: "Warn when a queue keeps growing this long.")
    var queueGrowthSeconds: Double = 5

    @Option(name: .customLong("lost-wake-s"), help: "Warn when a task is neither woken nor completed this long.")
    var lostWakeSeconds: Double = 10

    func validate() throws {
        for (flag, value) in [
            ("--blocking-ms", blockingMilliseconds), ("--starved-ms", starvedMilliseconds),
            ("--late-timer-ms", lateTimerMilliseconds), ("--queue-growth-s", queueGrowthSeconds),
            ("--lost-wake-s", lostWakeSeconds)
        ] where value < 0 {
            throw ValidationError("\(flag) must not be negative")
        }
    }

    var thresholds: WarningThresholds {
        var t = WarningThresholds()
        t.blockingNanoseconds = UInt64(blockingMilliseconds * 1e6)
        t.starvedNanoseconds = UInt64(starvedMilliseconds * 1e6)
        t.lateTimerNanoseconds = UInt64(lateTimerMilliseconds * 1e6)
        t.queueGrowthNanoseconds = UInt64(queueGrowthSeconds * 1e9)
        t.lostWakeNanoseconds = UInt64(lostWakeSeconds * 1e9)
        return t
    }
}

/// Environment lookups without Foundation.
enum ProcessInfoLite {
    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

#if canImport(Glibc)
    import Glibc
#endif
