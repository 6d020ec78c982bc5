import ArgumentParser
import AsyncTopTrace

#if canImport(Glibc)
    import Glibc
#endif

/// `asynctop events PID|FILE`: prints another process's events as they happen, one line each, until the
/// process ends (or `--count` events), then a summary line on stderr. Names are made terminal-safe.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print a traced process's events as they happen.",
        discussion:
            "Ends when the process exits or closes its region; prints `events=N missed=M before=B` on stderr (B: "
            + "events written before asynctop came that the rings no longer held whole, left out)."
    )

    @Argument(help: "A pid, or the path of a region file.")
    var target: String

    @Option(help: "Stop after this many events.")
    var count: UInt64?

    @Flag(help: "Print numbers only: ring time_ticks kind loop name id arg.")
    var raw = false

    @Option(help: "Directory of region files, for a pid.")
    var directory: String = RegionDirectory.defaultPath

    func run() throws {
        let source = try AttachCommand.open(target, directory: directory)
        let calibration = source.info.calibration
        let reader = PacedReader(source: source, chunkEvents: 1 << 16)
        var printed: UInt64 = 0
        var missed: UInt64 = 0
        var before: UInt64 = 0
        var endReason: String?
        while endReason == nil {
            reader.readAvailable(wallNanoseconds: TraceClock.monotonicNanoseconds()) { batch, _ in
                missed &+= batch.missed
                before += batch.beforeReader
                for segment in batch.segments {
                    for event in batch.events[segment.range] {
                        if let count, printed >= count { break }
                        print(line(for: event, ring: segment.ring.index, calibration: calibration, names: source.names))
                        printed += 1
                    }
                }
            }
            endReason = reader.endReason
            if let count, printed >= count { endReason = "printed \(count) events" }
            if endReason == nil { usleep(UInt32(reader.readIntervalNanoseconds / 1_000)) }
        }
        printToStandardError("events=\(printed) missed=\(missed) before=\(before) (\(endReason ?? ""))")
    }

    private func line(for event: TraceEvent, ring: Int, calibration: ClockCalibration, names: any NameResolver)
        -> String
    {
        if raw {
            return
                "\(ring) \(event.time) \(event.kind.rawValue) \(event.loop) \(event.name.rawValue) \(event.id) "
                + "\(event.arg)"
        }
        let milliseconds = Double(calibration.nanoseconds(event.time)) / 1e6
        let name = names.bytes(for: event.name).map { TerminalSafeText.make($0) } ?? "-"
        return
            "\(String(format3(milliseconds))) ring=\(ring) loop=\(event.loop) \(event.kind) name=\(name) "
            + "id=\(event.id) arg=\(event.arg)"
    }

    private func format3(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)ms"
    }
}
