import AsyncTopTrace

/// What a trace looks like on a timeline, in the terms every export format shares: thread slices (callbacks,
/// microtasks, task polls) on each loop, one async slice per task's life, counters, instants, and flows
/// from a wake to the poll it causes and from an enqueue to the run it causes.
///
/// Writers adopt this protocol; `TimelineWalker` calls them in trace order with slices already well nested
/// (an end with no matching begin is dropped, and whatever is still open at the end is closed there), so
/// no writer produces a slice of negative or unknown duration.
public protocol TimelineSink {
    /// A loop's thread, before any of its events.
    mutating func thread(loop: UInt16, threadID: UInt64, name: String)
    /// A counter track (loop queue depth, loop latency, pending timers, or a user counter), before its values.
    /// `index` numbers the tracks densely from 0 in the order announced; `counter` names a track by it, so a
    /// writer keeps per-track data in an array rather than hashing a `CounterTrack` per value.
    mutating func counterTrack(_ track: CounterTrack, index: Int, name: String)
    mutating func sliceBegin(
        loop: UInt16, at ns: UInt64, name: NameID, category: SliceCategory, id: UInt64, terminatingFlow: UInt64?)
    mutating func sliceEnd(loop: UInt16, at ns: UInt64)
    /// A zero-length slice on a loop (a wake, an enqueue, a timer firing, a failure), optionally starting a flow.
    mutating func instant(loop: UInt16, at ns: UInt64, name: NameID, label: InstantLabel, id: UInt64, flow: UInt64?)
    mutating func taskBegin(task: UInt64, at ns: UInt64, name: NameID, parent: UInt64)
    /// The end of a task's life; `name` is the one its `taskBegin` had.
    mutating func taskEnd(task: UInt64, at ns: UInt64, name: NameID, outcome: EventKind)
    mutating func counter(_ index: Int, at ns: UInt64, value: Double)
    /// A span of the tracing bridge, whole (its final name and attributes are known only at its end), written once
    /// both its ends were read: on its task's track when it nests there, else on a track of its own.
    mutating func span(_ span: SpanSlice)
}

/// A span attribute's value in an export.
public enum SpanAttributeValue: Sendable {
    case text(String)
    case number(Int64)
}

/// A span as the exports show it: a slice with its attributes.
public struct SpanSlice: Sendable {
    public var id: UInt32
    public var parent: UInt32
    /// The task that opened it (0: none).
    public var task: UInt64
    public var beganAt: UInt64
    public var endedAt: UInt64
    /// Its final name.
    public var name: NameID
    public var failed: Bool
    /// Its attributes, keys and texts made terminal-safe (resolved once here for every writer).
    public var attributes: [(key: String, value: SpanAttributeValue)]
    /// True when the slice nests within its task's lifetime and the task's other spans, so it goes on the task's
    /// track; false for spans outside tasks, and for those that would overlap another slice there partly.
    public var onTaskTrack: Bool
}

/// A sink that writes a file: what `TraceExport` drives.
protocol TimelineWriter: TimelineSink {
    var out: OutputFile { get set }
    mutating func close() throws(TraceFileError)
}

extension ChromeTraceWriter: TimelineWriter {}
extension PerfettoTraceWriter: TimelineWriter {}

/// Which kind of work a thread slice is.
public enum SliceCategory: UInt8, Sendable, CaseIterable {
    /// `job` is a Swift Concurrency job that is not one task's poll (an actor drain).
    case callback, microtask, poll, job
    public var label: StaticString {
        switch self {
        case .callback: return "callback"
        case .microtask: return "microtask"
        case .poll: return "poll"
        case .job: return "job"
        }
    }
}

/// Fixed labels for instants, so writers need no per-event strings.
public enum InstantLabel: UInt8, Sendable {
    case wake, enqueue, timerFired, failure, mark
    public var text: StaticString {
        switch self {
        case .wake: return "wake"
        case .enqueue: return "enqueue"
        case .timerFired: return "timer fired"
        case .failure: return "failure"
        case .mark: return "mark"
        }
    }
}

/// A counter track: per loop, or a user counter by name.
public enum CounterTrack: Hashable, Sendable {
    case queueDepth(loop: UInt16)
    case latency(loop: UInt16)
    case pendingTimers(loop: UInt16)
    case user(NameID)
}

/// Drives a `TimelineSink` from events. One walker per export; feed it every event in file order, then
/// `finish()`. A flow starts at a wake or an enqueue that happens inside a slice on its loop (the slice
/// that caused it; work submitted from outside any slice has no cause to point from) and ends at the
/// begin of the poll or run it caused. Flow ids are a per-export sequence.
///
/// Cost: per-loop state lives in an array of dense slots (`LoopSlots`), so most events hash nothing; tasks and
/// flows (keyed by arbitrary ids) take a dictionary operation at a spawn, wake, poll, run or completion.
public struct TimelineWalker<Sink: TimelineSink> {
    public var sink: Sink
    private let calibration: ClockCalibration
    private let names: any NameResolver
    /// By slot (`loopSlots`), in order of first appearance.
    private var loops: [LoopTimeline] = []
    private var loopSlots = LoopSlots()
    private var userCounters: [NameID: Int] = [:]
    private var counterTracks = 0
    /// Tasks alive, with their names (a poll slice is named after its task).
    private var openTasks: [UInt64: NameID] = [:]
    /// Flow waiting for the next poll of a task / the run of a callback.
    private var pendingFlows: [UInt64: UInt64] = [:]
    private var flowSequence: UInt64 = 0
    private var threads: [UInt16: UInt64] = [:]
    private var lastTime: UInt64 = 0
    /// Flows completed (both ends written).
    public private(set) var flows = 0
    /// Spans not written yet: a span's beginning, attributes and end can be on different rings (the threads that
    /// opened, changed and ended it), read apart; a span is written once both ends are read and trace time has
    /// moved `spanGraceNanoseconds` past its end, so that attributes read late still join it.
    private var spans: [UInt32: PendingSpan] = [:]
    /// Ended spans waiting out the grace, by end time.
    private var endedSpans: [(end: UInt64, id: UInt32)] = []
    static var spanGraceNanoseconds: UInt64 { 2_000_000_000 }
    /// Each live task's lifetime start and its recent span slices, to keep the slices on its track well nested.
    private var taskTracks: [UInt64: TaskTrack] = [:]

    private struct PendingSpan {
        var began: (at: UInt64, parent: UInt32, task: UInt64)?
        var attributes: [(name: NameID, number: Int64?)] = []
        var ended: (at: UInt64, name: NameID, failed: Bool)?
        var initialName = NameID.none
    }

    private struct TaskTrack {
        var began: UInt64
        /// The latest span slices placed on the track (at most `recentLimit`).
        var recent: [(begin: UInt64, end: UInt64)] = []
        static var recentLimit: Int { 32 }
    }

    /// What the walker keeps per loop.
    private struct LoopTimeline {
        /// Ids of the slices open on the loop, innermost last.
        var openSlices: [UInt64] = []
        var pendingTimers = 0
        /// Counter track indices, -1 until the track's first value.
        var queueDepthTrack = -1
        var latencyTrack = -1
        var pendingTimersTrack = -1
    }

    public init(sink: Sink, calibration: ClockCalibration, names: any NameResolver, rings: [RingIdentity]) {
        self.sink = sink
        self.calibration = calibration
        self.names = names
        for ring in rings { threads[ring.loop] = ring.threadID }
        for ring in rings where ProducerKind(loop: ring.loop) != .enqueuingThread && ring.threadID != 0 {
            loopOfThread[ring.threadID] = ring.loop
        }
    }

    /// The loop (or pool thread) each thread runs, by thread id: a thread that runs a loop also hands jobs to Swift's
    /// pool, on a ring of its own, and both rings name the thread after its loop (exports name threads by id).
    private var loopOfThread: [UInt64: UInt16] = [:]

    /// Announces a loop's thread the first time the loop appears (and gives it its slot's state).
    private mutating func announce(_ loop: UInt16) {
        loops.append(LoopTimeline())
        let thread = threads[loop] ?? UInt64(loop) + 1
        sink.thread(loop: loop, threadID: thread, name: ProducerKind.name(loop: loopOfThread[thread] ?? loop))
    }

    /// Numbers a new counter track and announces it.
    private mutating func newCounterTrack(_ track: CounterTrack) -> Int {
        let name: String
        switch track {
        case .queueDepth(let loop): name = "\(ProducerKind.name(loop: loop)) callbacks queued"
        case .latency(let loop): name = "\(ProducerKind.name(loop: loop)) latency (ms)"
        case .pendingTimers(let loop): name = "\(ProducerKind.name(loop: loop)) timers pending"
        case .user(let id): name = names.string(for: id).map { TerminalSafeText.make($0) } ?? "counter \(id.rawValue)"
        }
        let index = counterTracks
        counterTracks += 1
        sink.counterTrack(track, index: index, name: name)
        return index
    }

    private mutating func newFlow() -> UInt64 {
        flowSequence += 1
        return flowSequence
    }

    public mutating func walk(_ event: TraceEvent) {
        let ns = calibration.nanoseconds(event.time)
        lastTime = max(lastTime, ns)
        if let first = endedSpans.first, first.end &+ Self.spanGraceNanoseconds < lastTime {
            writeEndedSpans(before: lastTime - Self.spanGraceNanoseconds)
        }
        let loop = event.loop
        let (slot, isNew) = loopSlots.slot(of: loop)
        if isNew { announce(loop) }
        switch event.kind {
        case .callbackEnqueued:
            let flow = loops[slot].openSlices.isEmpty ? nil : newFlow()
            if let flow { pendingFlows[event.id << 1 | 1] = flow }
            sink.instant(loop: loop, at: ns, name: event.name, label: .enqueue, id: event.id, flow: flow)
        case .callbackBegan, .microtaskBegan, .taskPollBegan:
            let category: SliceCategory =
                event.kind == .callbackBegan ? .callback : event.kind == .microtaskBegan ? .microtask : .poll
            let flowKey = category == .poll ? event.id << 1 : event.id << 1 | 1
            let flow = category == .microtask || pendingFlows.isEmpty ? nil : pendingFlows.removeValue(forKey: flowKey)
            if flow != nil { flows += 1 }
            loops[slot].openSlices.append(event.id)
            let name = category == .poll ? openTasks[event.id] ?? event.name : event.name
            sink.sliceBegin(loop: loop, at: ns, name: name, category: category, id: event.id, terminatingFlow: flow)
            var track = loops[slot].latencyTrack
            if track < 0 {
                track = newCounterTrack(.latency(loop: loop))
                loops[slot].latencyTrack = track
            }
            sink.counter(track, at: ns, value: Double(calibration.nanoseconds(event.arg)) / 1e6)
        case .jobBegan:
            loops[slot].openSlices.append(event.id)
            sink.sliceBegin(loop: loop, at: ns, name: event.name, category: .job, id: event.id, terminatingFlow: nil)
        case .callbackEnded, .microtaskEnded, .callbackFailed, .taskPollEnded, .jobEnded:
            guard let top = loops[slot].openSlices.last, top == event.id else { break }
            loops[slot].openSlices.removeLast()
            sink.sliceEnd(loop: loop, at: ns)
            if event.kind == .callbackFailed {
                sink.instant(
                    loop: loop, at: ns, name: NameID(rawValue: UInt32(truncatingIfNeeded: event.arg)), label: .failure,
                    id: event.id, flow: nil)
            }
        case .taskSpawned:
            guard openTasks[event.id] == nil else { break }
            openTasks[event.id] = event.name
            taskTracks[event.id] = TaskTrack(began: ns)
            sink.taskBegin(task: event.id, at: ns, name: event.name, parent: event.arg)
        case .taskCompleted, .taskFailed, .taskCancelled:
            guard let name = openTasks.removeValue(forKey: event.id) else { break }
            taskTracks[event.id] = nil  // a span read after its task's end goes on a track of its own
            sink.taskEnd(task: event.id, at: ns, name: name, outcome: event.kind)
        case .spanBegan:
            let id = UInt32(truncatingIfNeeded: event.id)
            spans[id, default: PendingSpan()].began = (ns, UInt32(truncatingIfNeeded: event.id >> 32), event.arg)
            spans[id]?.initialName = event.name
        case .spanAttribute, .spanNumber:
            let number = event.kind == .spanNumber ? Int64(bitPattern: event.arg) : nil
            spans[UInt32(truncatingIfNeeded: event.id), default: PendingSpan()].attributes.append((event.name, number))
        case .spanEnded:
            let id = UInt32(truncatingIfNeeded: event.id)
            spans[id, default: PendingSpan()].ended = (ns, event.name, event.arg & 1 != 0)
            endedSpans.append((ns, id))
        case .taskWoken, .jobEnqueued:
            // A task made ready (by its loop, or handed to Swift's global executor): a flow to the poll it causes.
            guard event.kind == .taskWoken || event.id != 0 else { break }
            let flow = loops[slot].openSlices.isEmpty ? nil : newFlow()
            if let flow { pendingFlows[event.id << 1] = flow }
            sink.instant(loop: loop, at: ns, name: .none, label: .wake, id: event.id, flow: flow)
        case .timerArmed, .timerFired, .timerCancelled:
            let before = loops[slot].pendingTimers
            let pending = event.kind == .timerArmed ? before + 1 : max(0, before - 1)
            loops[slot].pendingTimers = pending
            var track = loops[slot].pendingTimersTrack
            if track < 0 {
                track = newCounterTrack(.pendingTimers(loop: loop))
                loops[slot].pendingTimersTrack = track
            }
            sink.counter(track, at: ns, value: Double(pending))
            if event.kind == .timerFired {
                sink.instant(loop: loop, at: ns, name: .none, label: .timerFired, id: event.id, flow: nil)
            }
        case .tickEnded:
            var track = loops[slot].queueDepthTrack
            if track < 0 {
                track = newCounterTrack(.queueDepth(loop: loop))
                loops[slot].queueDepthTrack = track
            }
            sink.counter(track, at: ns, value: Double(event.arg))
        case .counter:
            let track: Int
            if let known = userCounters[event.name] {
                track = known
            } else {
                track = newCounterTrack(.user(event.name))
                userCounters[event.name] = track
            }
            sink.counter(track, at: ns, value: Double(Int64(bitPattern: event.arg)))
        case .failureUnobserved:
            sink.instant(
                loop: loop, at: ns, name: NameID(rawValue: UInt32(truncatingIfNeeded: event.arg)), label: .failure,
                id: event.id, flow: nil)
        case .mark:
            sink.instant(loop: loop, at: ns, name: event.name, label: .mark, id: event.id, flow: nil)
        default:
            break
        }
    }

    /// Writes the spans that ended before `time` (those whose beginning was never read are dropped).
    private mutating func writeEndedSpans(before time: UInt64) {
        endedSpans.sort { ($0.end, $0.id) < ($1.end, $1.id) }
        let due = endedSpans.prefix { $0.end < time }
        for span in due { finishSpan(span.id) }
        endedSpans.removeFirst(due.count)
    }

    /// Writes span `id` on its task's track if it nests there.
    private mutating func finishSpan(_ id: UInt32) {
        guard let span = spans.removeValue(forKey: id), let began = span.began else { return }
        let ended = span.ended ?? (lastTime, span.initialName, false)
        let end = max(ended.at, began.at)
        var onTaskTrack = false
        if var track = taskTracks[began.task], began.at >= track.began {
            // Partly overlapping another slice of the track would break its nesting.
            let crosses = track.recent.contains { other in
                (other.begin < began.at && began.at < other.end && other.end < end)
                    || (began.at < other.begin && other.begin < end && end < other.end)
            }
            if !crosses {
                onTaskTrack = true
                track.recent.append((began.at, end))
                if track.recent.count > TaskTrack.recentLimit { track.recent.removeFirst() }
                taskTracks[began.task] = track
            }
        }
        // `span_attribute` names `key=value`, `span_number` names the key (EventKind.swift).
        let attributes = span.attributes.compactMap { attribute -> (key: String, value: SpanAttributeValue)? in
            let text = names.bytes(for: attribute.name).map { TerminalSafeText.make($0) } ?? ""
            if let number = attribute.number { return text.isEmpty ? nil : (text, .number(number)) }
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { return nil }
            return (String(text[..<equals]), .text(String(text[text.index(after: equals)...])))
        }
        sink.span(
            SpanSlice(
                id: id, parent: began.parent, task: began.task, beganAt: began.at, endedAt: end,
                name: ended.name == .none ? span.initialName : ended.name, failed: ended.failed, attributes: attributes,
                onTaskTrack: onTaskTrack))
    }

    /// Closes every slice, span and task still open at the last timestamp seen (a span whose beginning was never
    /// read is left out).
    public mutating func finish() {
        writeEndedSpans(before: .max)
        for id in spans.keys.sorted() where spans[id]?.began != nil { finishSpan(id) }
        spans.removeAll()
        for slot in loops.indices {
            for _ in loops[slot].openSlices { sink.sliceEnd(loop: loopSlots.loops[slot], at: lastTime) }
            loops[slot].openSlices.removeAll()
        }
        for (task, name) in openTasks.sorted(by: { $0.key < $1.key }) {
            sink.taskEnd(task: task, at: lastTime, name: name, outcome: .taskCancelled)
        }
        openTasks.removeAll()
    }
}
