import AsyncTopTrace

/// CSV: a header row, then one row per event — time in ns since the trace's epoch, the kind's name, loop,
/// the name resolved (terminal-safe, RFC 4180 quoted), id and arg; an arg that is a duration or a point in time
/// (`EventKind.argIsTicks`: a delay, a lateness, a deadline, a sleep) is in ns like the time. Loads in pandas or a
/// spreadsheet.
struct CSVWriter {
    var out: OutputFile
    private var names: EscapedNames
    private let calibration: ClockCalibration
    private var kindNames: [UInt16: [UInt8]] = [:]

    init(out: OutputFile, names: any NameResolver, calibration: ClockCalibration) {
        self.out = out
        self.names = EscapedNames(names: names, quote: UInt8(ascii: "\""))
        self.calibration = calibration
        self.out.append("time_ns,kind,loop,name,id,arg\n")
    }

    mutating func write(_ event: TraceEvent) {
        out.append(decimal: calibration.nanoseconds(event.time))
        out.append(byte: UInt8(ascii: ","))
        if let kind = kindNames[event.kind.rawValue] {
            out.append(kind)
        } else {
            let kind = Array(event.kind.description.utf8)
            kindNames[event.kind.rawValue] = kind
            out.append(kind)
        }
        out.append(byte: UInt8(ascii: ","))
        out.append(decimal: UInt64(event.loop))
        out.append(",\"")
        names.append(event.name, fallback: "", to: &out)
        out.append("\",")
        out.append(decimal: event.id)
        out.append(byte: UInt8(ascii: ","))
        out.append(decimal: event.kind.argIsTicks ? calibration.nanoseconds(event.arg) : event.arg)
        out.append(byte: UInt8(ascii: "\n"))
    }

    mutating func close() throws(TraceFileError) { try out.close() }
}
