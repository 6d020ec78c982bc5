import AsyncTopTrace

/// Chrome JSON trace events (opens in Perfetto and chrome://tracing): each loop a thread with its callbacks,
/// microtasks and polls as B/E slices; each task an async slice (b/e) with its own id; counters (C) for
/// queue depths, latency and user counters; instants for wakes, enqueues, timer firings and failures;
/// flows (s/f) from a wake or enqueue to the poll or run it caused. Times are microseconds with
/// nanosecond decimals.
struct ChromeTraceWriter: TimelineSink {
    var out: OutputFile
    private var names: EscapedNames
    private let pid: UInt64
    private var threads: [UInt16: UInt64] = [:]
    private var counterNames: [CounterTrack: [UInt8]] = [:]
    private var taskNames: [UInt64: [UInt8]] = [:]
    private var first = true

    init(out: OutputFile, names: any NameResolver, pid: Int32, processName: String) {
        self.out = out
        self.names = EscapedNames(names: names, quote: UInt8(ascii: "\\"))
        self.pid = UInt64(max(pid, 0))
        self.out.append("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n")
        separator()
        self.out.append("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":")
        self.out.append(decimal: self.pid)
        self.out.append(",\"args\":{\"name\":\"")
        self.out.append(self.names.escape(TerminalSafeText.make(processName)))
        self.out.append("\"}}")
    }

    private mutating func separator() {
        if first { first = false } else { out.append(",\n") }
    }

    private mutating func head(_ phase: StaticString, loop: UInt16, at ns: UInt64) {
        separator()
        out.append("{\"ph\":\"")
        out.append(phase)
        out.append("\",\"pid\":")
        out.append(decimal: pid)
        out.append(",\"tid\":")
        out.append(decimal: threads[loop] ?? UInt64(loop) + 1)
        out.append(",\"ts\":")
        out.append(microsecondsFromNanoseconds: ns)
    }

    mutating func thread(loop: UInt16, threadID: UInt64, name: String) {
        threads[loop] = threadID
        separator()
        out.append("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":")
        out.append(decimal: pid)
        out.append(",\"tid\":")
        out.append(decimal: threadID)
        out.append(",\"args\":{\"name\":\"")
        out.append(names.escape(name))
        out.append("\"}}")
    }

    mutating func counterTrack(_ track: CounterTrack, name: String) {
        counterNames[track] = names.escape(name)
    }

    mutating func sliceBegin(loop: UInt16, at ns: UInt64, name: NameID, category: SliceCategory, id: UInt64, terminatingFlow: UInt64?) {
        head("B", loop: loop, at: ns)
        out.append(",\"cat\":\"")
        out.append(category.label)
        out.append("\",\"name\":\"")
        out.append(names.escaped(name, fallback: category.label.description))
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
            out.append(names.escaped(name, fallback: ""))
        }
        out.append("\",\"args\":{\"id\":")
        out.append(decimal: id)
        out.append("}}")
    }

    /// The opening of an async task event ("b" or "e") up to its name's closing quote.
    private mutating func taskHead(_ phase: StaticString, task: UInt64, at ns: UInt64, name: [UInt8]) {
        separator()
        out.append("{\"ph\":\"")
        out.append(phase)
        out.append("\",\"cat\":\"task\",\"pid\":")
        out.append(decimal: pid)
        out.append(",\"id\":")
        out.append(decimal: task)
        out.append(",\"ts\":")
        out.append(microsecondsFromNanoseconds: ns)
        out.append(",\"name\":\"")
        out.append(name)
    }

    mutating func taskBegin(task: UInt64, at ns: UInt64, name: NameID, parent: UInt64) {
        let text = names.escaped(name, fallback: "task")
        taskNames[task] = text
        taskHead("b", task: task, at: ns, name: text)
        out.append("\",\"args\":{\"parent\":")
        out.append(decimal: parent)
        out.append("}}")
    }

    mutating func taskEnd(task: UInt64, at ns: UInt64, outcome: EventKind) {
        taskHead("e", task: task, at: ns, name: taskNames.removeValue(forKey: task) ?? Array("task".utf8))
        out.append("\",\"args\":{\"outcome\":\"")
        out.append(Array(outcome.description.utf8))
        out.append("\"}}")
    }

    mutating func counter(_ track: CounterTrack, at ns: UInt64, value: Double) {
        separator()
        out.append("{\"ph\":\"C\",\"pid\":")
        out.append(decimal: pid)
        out.append(",\"ts\":")
        out.append(microsecondsFromNanoseconds: ns)
        out.append(",\"name\":\"")
        out.append(counterNames[track] ?? [])
        out.append("\",\"args\":{\"value\":")
        if value == value.rounded(), abs(value) < 1e15 {
            if value < 0 { out.append("-") }
            out.append(decimal: UInt64(abs(value)))
        } else {
            out.append(Array(String(value).utf8))
        }
        out.append("}}")
    }

    mutating func close() throws(TraceFileError) {
        out.append("\n]}\n")
        try out.close()
    }
}
