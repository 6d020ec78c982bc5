import AsyncTopTrace

/// Chrome JSON trace events (opens in Perfetto and chrome://tracing): each loop a thread with its callbacks,
/// microtasks and polls as B/E slices; each task an async slice (b/e) with its own id; counters (C) for
/// queue depths, latency and user counters; instants for wakes, enqueues, timer firings and failures;
/// flows (s/f) from a wake or enqueue to the poll or run it caused. Times are microseconds with
/// nanosecond decimals.
///
/// Cost: every piece of an event is bytes ready to copy (names escaped once per id, each loop's
/// `"pid":…,"tid":…` prefix built once) or digits written by hand into the output buffer; no allocation
/// per event.
struct ChromeTraceWriter: TimelineSink {
    var out: OutputFile
    private var names: EscapedNames
    private let pid: UInt64
    /// Per loop id: `","pid":P,"tid":T,"ts":`, what follows the phase in every event on the loop.
    /// By slot (`headSlots`): each loop's `"pid":…,"tid":…,"ts":` bytes.
    private var loopHeads: [[UInt8]] = []
    private var headSlots = LoopSlots()
    /// Per counter track index: its escaped name.
    private var counterNames: [[UInt8]] = []

    init(out: OutputFile, names: any NameResolver, pid: Int32, processName: String) {
        self.out = out
        self.names = EscapedNames(names: names, quote: UInt8(ascii: "\\"))
        self.pid = UInt64(max(pid, 0))
        self.out.append("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n")
        // The first record, so every later one starts with the separator.
        self.out.append("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":")
        self.out.append(decimal: self.pid)
        self.out.append(",\"args\":{\"name\":\"")
        self.out.append(self.names.escape(TerminalSafeText.make(processName)))
        self.out.append("\"}}")
    }

    private mutating func head(_ phase: StaticString, loop: UInt16, at ns: UInt64) {
        out.append(",\n{\"ph\":\"")
        out.append(phase)
        let (slot, isNew) = headSlots.slot(of: loop)
        if isNew { loopHeads.append(Self.loopHead(pid: pid, threadID: UInt64(loop) + 1)) }
        out.append(loopHeads[slot])
        out.append(microsecondsFromNanoseconds: ns)
    }

    private mutating func setLoopHead(_ loop: UInt16, threadID: UInt64) {
        let (slot, isNew) = headSlots.slot(of: loop)
        let head = Self.loopHead(pid: pid, threadID: threadID)
        if isNew { loopHeads.append(head) } else { loopHeads[slot] = head }
    }

    /// The part of an event's JSON that names its process and thread.
    private static func loopHead(pid: UInt64, threadID: UInt64) -> [UInt8] {
        Array("\",\"pid\":\(pid),\"tid\":\(threadID),\"ts\":".utf8)
    }

    mutating func thread(loop: UInt16, threadID: UInt64, name: String) {
        setLoopHead(loop, threadID: threadID)
        out.append(",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":")
        out.append(decimal: pid)
        out.append(",\"tid\":")
        out.append(decimal: threadID)
        out.append(",\"args\":{\"name\":\"")
        out.append(names.escape(name))
        out.append("\"}}")
    }

    mutating func counterTrack(_ track: CounterTrack, index: Int, name: String) {
        if index >= counterNames.count {
            counterNames.append(contentsOf: repeatElement([], count: index + 1 - counterNames.count))
        }
        counterNames[index] = names.escape(name)
    }

    mutating func sliceBegin(
        loop: UInt16, at ns: UInt64, name: NameID, category: SliceCategory, id: UInt64, terminatingFlow: UInt64?
    ) {
        head("B", loop: loop, at: ns)
        out.append(",\"cat\":\"")
        out.append(category.label)
        out.append("\",\"name\":\"")
        names.append(name, fallback: category.label, to: &out)
        out.append("\",\"args\":{\"id\":")
        out.append(decimal: id)
        out.append("}}")
        if let flow = terminatingFlow {
            head("f", loop: loop, at: ns)
            out.append(",\"bp\":\"e\",\"cat\":\"flow\",\"name\":\"flow\",\"id\":")
            out.append(decimal: flow)
            out.append("}")
        }
    }

    mutating func sliceEnd(loop: UInt16, at ns: UInt64) {
        head("E", loop: loop, at: ns)
        out.append("}")
    }

    mutating func instant(loop: UInt16, at ns: UInt64, name: NameID, label: InstantLabel, id: UInt64, flow: UInt64?) {
        if let flow {
            head("s", loop: loop, at: ns)
            out.append(",\"cat\":\"flow\",\"name\":\"flow\",\"id\":")
            out.append(decimal: flow)
            out.append("}")
        }
        head("i", loop: loop, at: ns)
        out.append(",\"s\":\"t\",\"cat\":\"")
        out.append(label.text)
        out.append("\",\"name\":\"")
        out.append(label.text)
        if name != .none {
            out.append(": ")
            names.append(name, fallback: "", to: &out)
        }
        out.append("\",\"args\":{\"id\":")
        out.append(decimal: id)
        out.append("}}")
    }

    /// The opening of an async task event ("b" or "e") up to its name's closing quote.
    private mutating func taskHead(_ phase: StaticString, task: UInt64, at ns: UInt64, name: NameID) {
        out.append(",\n{\"ph\":\"")
        out.append(phase)
        out.append("\",\"cat\":\"task\",\"pid\":")
        out.append(decimal: pid)
        out.append(",\"id\":")
        out.append(decimal: task)
        out.append(",\"ts\":")
        out.append(microsecondsFromNanoseconds: ns)
        out.append(",\"name\":\"")
        names.append(name, fallback: "task", to: &out)
    }

    mutating func taskBegin(task: UInt64, at ns: UInt64, name: NameID, parent: UInt64) {
        taskHead("b", task: task, at: ns, name: name)
        out.append("\",\"args\":{\"parent\":")
        out.append(decimal: parent)
        out.append("}}")
    }

    mutating func taskEnd(task: UInt64, at ns: UInt64, name: NameID, outcome: EventKind) {
        taskHead("e", task: task, at: ns, name: name)
        out.append("\",\"args\":{\"outcome\":\"")
        out.append(outcome.description)
        out.append("\"}}")
    }

    /// A span as a nestable async slice: on its task's async track (category `task`, the task's id) when it nests
    /// there, else on one of its own (category `span`); its attributes, task, parent span and status as args.
    mutating func span(_ span: SpanSlice) {
        for begin in [true, false] {
            out.append(begin ? ",\n{\"ph\":\"b" : ",\n{\"ph\":\"e")
            out.append(span.onTaskTrack ? "\",\"cat\":\"task\",\"pid\":" : "\",\"cat\":\"span\",\"pid\":")
            out.append(decimal: pid)
            out.append(",\"id\":")
            out.append(decimal: span.onTaskTrack ? span.task : UInt64(span.id))
            out.append(",\"ts\":")
            out.append(microsecondsFromNanoseconds: begin ? span.beganAt : span.endedAt)
            out.append(",\"name\":\"")
            names.append(span.name, fallback: "span", to: &out)
            guard begin else {
                out.append("\"}")
                continue
            }
            out.append("\",\"args\":{\"task\":")
            out.append(decimal: span.task)
            out.append(",\"parent_span\":")
            out.append(decimal: UInt64(span.parent))
            out.append(span.failed ? ",\"status\":\"error\"" : ",\"status\":\"ok\"")
            for (key, value) in span.attributes where key != "task" && key != "parent_span" && key != "status" {
                out.append(",\"")
                out.append(names.escape(key))
                out.append("\":")
                switch value {
                case .number(let number):
                    out.append(String(number))
                case .text(let text):
                    out.append("\"")
                    out.append(names.escape(text))
                    out.append("\"")
                }
            }
            out.append("}}")
        }
    }

    mutating func counter(_ index: Int, at ns: UInt64, value: Double) {
        out.append(",\n{\"ph\":\"C\",\"pid\":")
        out.append(decimal: pid)
        out.append(",\"ts\":")
        out.append(microsecondsFromNanoseconds: ns)
        out.append(",\"name\":\"")
        if index < counterNames.count { out.append(counterNames[index]) }
        out.append("\",\"args\":{\"value\":")
        appendNumber(value)
        out.append("}}")
    }

    /// A counter value as a JSON number. Counters are integers, or milliseconds from whole nanoseconds, so
    /// values with at most six decimals are written from integers: exact, since the decimal written parses
    /// back to the same Double (checked, not assumed). Anything else takes Swift's shortest round-trip text.
    private mutating func appendNumber(_ value: Double) {
        let magnitude = abs(value)
        if value < 0 { out.append("-") }
        if magnitude == magnitude.rounded(), magnitude < 1e15 {
            out.append(decimal: UInt64(magnitude))
            return
        }
        // Below 1e9, millionths stay under 2^53, so the integer and the division are exact or correctly rounded.
        if magnitude < 1e9 {
            let millionths = UInt64((magnitude * 1e6).rounded())
            if Double(millionths) / 1e6 == magnitude {
                out.append(decimal: millionths / 1_000_000)
                var fraction = millionths % 1_000_000
                var digits = 6
                while fraction % 10 == 0 {
                    fraction /= 10
                    digits -= 1
                }
                out.append(upTo: 7) { p in
                    OutputFile.writeFraction(fraction, digits: digits, to: p)
                    return digits + 1
                }
                return
            }
        }
        out.append(String(magnitude))
    }

    mutating func close() throws(TraceFileError) {
        out.append("\n]}\n")
        try out.close()
    }
}
