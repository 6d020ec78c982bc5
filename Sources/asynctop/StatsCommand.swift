import ArgumentParser
import AsyncTopModel
import AsyncTopTrace
import AsyncTopUI
import Foundation

/// `asynctop stats FILE [--json]`: the whole recording summarised.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Summarise a recording: tasks, loops, latency, callbacks, timers, warnings.")

    @Argument(help: "A .atrace file.")
    var file: String

    @Flag(
        help: ArgumentHelp(
            "Print one JSON object (fields: events, missed, duration_s, tasks, loops, callbacks, timers, counters, "
                + "warnings).")
    )
    var json = false

    @OptionGroup var monitor: MonitorOptions

    func run() throws {
        let reader = try openTrace(file)
        let replay = TraceReplay(
            reader: reader, thresholds: monitor.thresholds, retentionNanoseconds: UInt64(monitor.retentionSeconds * 1e9)
        )
        let summary = TraceSummary(replay.finalState)
        for problem in reader.problems + replay.problems { printToStandardError("asynctop: warning: \(problem)") }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            return
        }
        print(Self.text(summary, file: file))
    }

    static func text(_ s: TraceSummary, file: String) -> String {
        func ms(_ v: Double) -> String { Format.duration(UInt64(max(0, v) * 1e6)) }
        var lines = [
            "\(TerminalSafeText.make(file)): \(s.events) events over \(Format.decimal(s.durationSeconds, digits: 2)) "
                + "s, \(s.missed) missed"
                + (s.gaps > 0
                    ? "; \(s.gaps + 1) windows kept, \(Format.decimal(s.gapSeconds, digits: 2)) s of gaps between "
                        + "them not recorded (figures leave the gaps out)" : ""),
            "tasks      \(s.tasks.spawned) spawned, \(s.tasks.completed) completed, \(s.tasks.failed) failed, "
                + "\(s.tasks.cancelled) cancelled, "
                + (s.tasks.ended > 0 ? "\(s.tasks.ended) ended with their parent, " : "")
                + "at most \(s.tasks.maxLive) at once"
        ]
        if let pool = s.pool {
            let others = pool.otherJobs.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(
                separator: ", ")
            lines.append(
                "pool       \(pool.threads) threads (width \(pool.width))"
                    + "  busy \(Format.decimal(pool.busyRatio * 100, digits: 1))%  \(pool.jobsRun) jobs run"
                    + (others.isEmpty ? "" : " (\(others))")
                    + "  queue max \(pool.maxQueued)  delay p50 \(ms(pool.latencyMilliseconds.p50))"
                    + "  p99 \(ms(pool.latencyMilliseconds.p99))  max \(ms(pool.latencyMilliseconds.max))"
            )
        }
        for loop in s.loops where loop.producer != "enqueuing_thread" {
            let io = loop.producer == "nio_loop" ? " (I/O \(Format.decimal(loop.ioBusyRatio * 100, digits: 1))%)" : ""
            let perTick =
                loop.producer == "nio_loop" && loop.ticks > 0
                ? "  \(Format.decimal(Double(loop.itemsRun) / Double(loop.ticks), digits: 1)) tasks/tick" : ""
            let delay = loop.producer == "nio_loop" ? "turn" : "latency"
            lines.append(
                "\(loop.name)     busy \(Format.decimal(loop.busyRatio * 100, digits: 1))%\(io)  \(loop.ticks) "
                    + (loop.producer == "pool_thread" ? "jobs" : "ticks")
                    + "\(perTick)  \(delay) p50 \(ms(loop.latencyMilliseconds.p50))"
                    + "  p99 \(ms(loop.latencyMilliseconds.p99))  max \(ms(loop.latencyMilliseconds.max))"
            )
        }
        for span in s.spans.prefix(10) {
            lines.append(
                "span       \(span.count)×  \(span.name)  mean \(ms(span.meanMilliseconds))"
                    + "  max \(ms(span.maxMilliseconds))"
                    + (span.failed > 0 ? "  \(span.failed) failed" : "")
            )
        }
        lines.append("callbacks  \(s.callbacks.count) run, \(s.callbacks.failed) failed")
        let listed = s.callbacks.slowest.prefix(5)
        for site in listed {
            lines.append("           \(ms(site.maxMilliseconds)) max  \(site.count)×  \(site.site)")
        }
        let unlisted = s.callbacks.count - min(s.callbacks.count, listed.reduce(0) { $0 + $1.count })
        if unlisted > 0 {
            lines.append("           … \(unlisted) more runs at other sites (--json lists the ten slowest sites)")
        }
        lines.append(
            "timers     \(s.timers.fired) fired, \(s.timers.cancelled) cancelled"
                + (s.timers.fired > 0 ? ", at worst \(ms(s.timers.maxLatenessMilliseconds)) late" : "")
        )
        // The busiest sites, with the period they kept (a repeating timer's drift under load: the timer-drift demo).
        // A site that fired once (in a window of a flight recording) has no period.
        // Columns: a site without a period leaves its place blank rather than shifting the line.
        let busiest = s.timers.bySite.sorted(by: { $0.fired > $1.fired }).prefix(5)
        for site in busiest {
            let period = site.meanPeriodMilliseconds > 0 ? "\(ms(site.meanPeriodMilliseconds)) mean period" : ""
            lines.append(
                "           " + TextWidth.pad(period, to: 20) + TextWidth.pad("\(site.fired)× fired", to: 11) + "late "
                    + "\(ms(site.meanLatenessMilliseconds)) mean, \(ms(site.maxLatenessMilliseconds)) max  \(site.site)"
            )
        }
        let otherFirings = s.timers.fired - min(s.timers.fired, busiest.reduce(0) { $0 + $1.fired })
        if otherFirings > 0 {
            lines.append("           … \(otherFirings) more firings at other sites (--json lists all)")
        }
        for (name, counter) in s.counters.sorted(by: { $0.key < $1.key }) {
            lines.append("counter    \(name) = \(counter.last) (max \(counter.max))")
        }
        lines.append("warnings   \(s.warnings.count)")
        for warning in s.warnings.prefix(Self.warningsListed) {
            lines.append(
                "  \(Format.clock(UInt64(max(0, warning.atSeconds) * 1e9), tenths: true))  \(warning.kind)  "
                    + "\(warning.subject): "
                    + "\(warning.detail)"
            )
        }
        if s.warnings.count > Self.warningsListed {
            lines.append(
                "  … and \(s.warnings.count - Self.warningsListed) more (all of them: --json, or view 6 of `asynctop "
                    + "replay`)"
            )
        }
        return lines.joined(separator: "\n")
    }
}

extension StatsCommand {
    /// Warnings the text summary lists one by one.
    static let warningsListed = 20
}

/// Opens a trace file, reporting what was wrong with it on stderr; fails with a clear message if unreadable.
func openTrace(_ path: String) throws -> TraceFileReader {
    do {
        let reader = try TraceFileReader(path: path)
        return reader
    } catch {
        throw CommandFailure(message: error.description)
    }
}
