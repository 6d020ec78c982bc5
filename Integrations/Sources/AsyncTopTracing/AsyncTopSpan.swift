import AsyncTopConcurrency
import AsyncTopTrace
import Synchronization
import Tracing

/// One span of `AsyncTopTracer`. Its name, attributes and status live here until `end()`, which writes the
/// attributes (`spanAttribute` / `spanNumber`) and `spanEnded` on the ending thread's ring. Times are asynctop's
/// own clock at `startSpan` and `end`: the instants a caller passes are not used, so spans line up with the jobs
/// and loop turns around them. Events and links are not recorded (asynctop has no kind for them yet).
///
/// Thread-safe: a span may be ended on another thread than the one that opened it (a lock guards its state).
public final class AsyncTopSpan: Tracing.Span, Sendable {
    public let context: ServiceContext
    /// The span's number in the trace (`spanBegan`'s id).
    public let id: UInt32
    private let tap: ConcurrencyTap
    private let names: NameTable
    private let state: Mutex<State>

    private struct State: Sendable {
        var operationName: String
        var attributes: SpanAttributes = [:]
        var failed = false
        var ended = false
        /// Whether `spanNamed` was written (from the HTTP method and path).
        var named = false
    }

    init(id: UInt32, operationName: String, context: ServiceContext, tap: ConcurrencyTap, names: NameTable) {
        self.id = id
        self.context = context
        self.tap = tap
        self.names = names
        self.state = Mutex(State(operationName: operationName))
    }

    public var operationName: String {
        get { state.withLock { $0.operationName } }
        set { state.withLock { $0.operationName = newValue } }
    }

    /// Setting them names an HTTP server span early (`spanNamed`: method and path) the first time both are there,
    /// so that asynctop can call a request by its path while it runs (its route comes at its end).
    public var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set {
            let early: String? = state.withLock { state in
                state.attributes = newValue
                guard !state.named, !state.ended, case .string(let method)? = newValue.get("http.request.method"),
                    case .string(let path)? = newValue.get("url.path")
                else { return nil }
                state.named = true
                return method + " " + path
            }
            if let early { tap.emit(.spanNamed, name: names.intern(early), id: UInt64(id)) }
        }
    }

    public var isRecording: Bool { state.withLock { !$0.ended } }

    public func setStatus(_ status: SpanStatus) {
        state.withLock { $0.failed = status.code == .error }
    }

    public func recordError<Instant: TracerInstant>(
        _ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant
    ) {
        state.withLock { $0.failed = true }
    }

    public func addEvent(_ event: SpanEvent) {}

    public func addLink(_ link: SpanLink) {}

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        guard let ended = state.withLock({ state -> State? in
            guard !state.ended else { return nil }
            state.ended = true
            return state
        }) else { return }
        let span = UInt64(id)
        ended.attributes.forEach { key, value in
            switch value {
            case .int32(let number): tap.emit(.spanNumber, name: names.intern(key), id: span, arg: UInt64(bitPattern: Int64(number)))
            case .int64(let number): tap.emit(.spanNumber, name: names.intern(key), id: span, arg: UInt64(bitPattern: number))
            default: tap.emit(.spanAttribute, name: names.intern(key + "=" + Self.text(of: value)), id: span)
            }
        }
        tap.emit(.spanEnded, name: names.intern(Self.displayName(ended)), id: span, arg: ended.failed ? 1 : 0)
    }

    /// What a person calls the span: its operation name, led by the HTTP method when a server span's name is its
    /// route alone (Hummingbird names a request span `/slow` and puts `GET` in `http.request.method`).
    private static func displayName(_ state: State) -> String {
        guard case .string(let method)? = state.attributes.get("http.request.method"),
            !state.operationName.hasPrefix(method + " ")
        else { return state.operationName }
        return method + " " + state.operationName
    }

    private static func text(of value: SpanAttribute) -> String {
        switch value {
        case .string(let text): return text
        case .bool(let flag): return String(flag)
        case .double(let number): return String(number)
        case .stringConvertible(let item): return item.description
        case .int32Array(let items): return items.map(String.init).joined(separator: ",")
        case .int64Array(let items): return items.map(String.init).joined(separator: ",")
        case .doubleArray(let items): return items.map { String($0) }.joined(separator: ",")
        case .boolArray(let items): return items.map(String.init).joined(separator: ",")
        case .stringArray(let items): return items.joined(separator: ",")
        case .stringConvertibleArray(let items): return items.map(\.description).joined(separator: ",")
        default: return "\(value)"
        }
    }
}
