import AsyncTopConcurrency
import AsyncTopTrace
import Synchronization
import Tracing

/// One span of `AsyncTopTracer`. Attributes are written through: each one set becomes a `spanAttribute` or
/// `spanNumber` event on the setting thread's ring at once, and the span keeps only what it needs later (the HTTP
/// method and path that name a server span). So `attributes` reads back empty, as the no-op tracer's do: keeping
/// them would make every `updateAttributes` (a read, a change, a write) copy the whole dictionary, a microsecond a
/// request measured (`asynctop-bench spans`). `end()` writes `spanEnded`. Times are asynctop's own clock at
/// `startSpan` and `end`: the instants a caller passes are not used, so spans line up with the jobs and loop turns
/// around them. Events and links are not recorded (asynctop has no kind for them yet).
///
/// Thread-safe: a span may be changed and ended on other threads than the one that opened it (a lock guards its
/// state; each thread writes on its own ring).
public final class AsyncTopSpan: Tracing.Span, Sendable {
    public let context: ServiceContext
    /// The span's number in the trace (`spanBegan`'s id).
    public let id: UInt32
    private let tap: ConcurrencyTap
    private let names: NameTable
    private let state: Mutex<State>

    private struct State: Sendable {
        var operationName: String
        var method: String?
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

    /// Reads back empty; setting writes each attribute given (see the type's comment). The first time a server
    /// span has both its HTTP method and path, it is named by them (`spanNamed`: `GET /users/7`), so that asynctop
    /// can call a request by its path while it runs (its route comes at its end).
    public var attributes: SpanAttributes {
        get { [:] }
        set {
            let span = UInt64(id)
            let cache = NameCache.current
            var method: String?
            var path: String?
            // One pass, no lookups: a lookup hashes its key, and these are most of a span's work. (`SpanAttributes`
            // is no `Sequence`: `forEach` is its only walk.)
            // swift-format-ignore: ReplaceForEachWithForLoop
            newValue.forEach { key, value in
                switch value {
                case .int32(let number):
                    tap.emit(
                        .spanNumber, name: cache.id(key, in: names), id: span, arg: UInt64(bitPattern: Int64(number)))
                case .int64(let number):
                    tap.emit(.spanNumber, name: cache.id(key, in: names), id: span, arg: UInt64(bitPattern: number))
                case .string(let text):
                    if key == "http.request.method" { method = text } else if key == "url.path" { path = text }
                    tap.emit(.spanAttribute, name: cache.id(key, "=", text, in: names), id: span)
                default:
                    tap.emit(.spanAttribute, name: cache.id(key, "=", Self.text(of: value), in: names), id: span)
                }
            }
            let named: (method: String, path: String)? = state.withLock { state in
                guard !state.ended else { return nil }
                if let method { state.method = method }
                guard !state.named, let method = state.method, let path else { return nil }
                state.named = true
                return (method, path)
            }
            if let named { tap.emit(.spanNamed, name: cache.id(named.method, " ", named.path, in: names), id: span) }
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
        guard
            let ended = state.withLock({ state -> State? in
                guard !state.ended else { return nil }
                state.ended = true
                return state
            })
        else { return }
        let cache = NameCache.current
        let operation = ended.operationName
        let name =
            ended.method.flatMap { method in
                Self.starts(operation, with: method) ? nil : cache.id(method, " ", operation, in: names)
            } ?? cache.id(operation, in: names)
        tap.emit(.spanEnded, name: name, id: UInt64(id), arg: ended.failed ? 1 : 0)
    }

    /// Whether `name` already begins with `method` and a space (`GET /slow`), compared in place.
    private static func starts(_ name: String, with method: String) -> Bool {
        var bytes = name.utf8.makeIterator()
        for byte in method.utf8 where bytes.next() != byte { return false }
        return bytes.next() == UInt8(ascii: " ")
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
