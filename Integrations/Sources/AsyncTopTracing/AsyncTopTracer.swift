import AsyncTopConcurrency
import AsyncTopTrace
import Synchronization
import Tracing

/// A swift-distributed-tracing `Tracer` that writes spans into asynctop's trace: every span any library opens
/// (Hummingbird's `TracingMiddleware` among them) becomes `spanBegan` … `spanEnded` events on the ring of the thread
/// that opens or ends it, tied to the task running there, so asynctop's tasks view names a request task by its
/// span (`GET /slow`), task detail lists its spans, and exports show them as slices with their attributes.
///
/// Bootstrap it once: `InstrumentationSystem.bootstrap(AsyncTopTracer(tap: try AsyncTop.traceConcurrency()))`
/// (`AsyncTop.traceServer` in AsyncTopNIO does it for you). asynctop watches one process, so the tracer
/// propagates nothing across processes: `inject` and `extract` leave carriers alone.
///
/// Cost per span: one object and its lock (the protocol makes a span a shared reference), one name lookup for
/// its operation name, two events, and at its end one lookup and one event per attribute.
public final class AsyncTopTracer: Tracing.Tracer, Sendable {
    public typealias Span = AsyncTopSpan

    let tap: ConcurrencyTap
    private let lastSpanID = Atomic<UInt32>(0)

    /// A tracer writing into `tap`'s region. Spans are numbered from 1 in this process.
    public init(tap: ConcurrencyTap) {
        self.tap = tap
    }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> AsyncTopSpan {
        var context = context()
        let parent = context[AsyncTopSpanKey.self] ?? 0
        // 0 means "no span" in the vocabulary: the counter skips it when it wraps.
        var id = lastSpanID.wrappingAdd(1, ordering: .relaxed).newValue
        if id == 0 { id = lastSpanID.wrappingAdd(1, ordering: .relaxed).newValue }
        context[AsyncTopSpanKey.self] = id
        let names = tap.region.names
        tap.emit(
            .spanBegan, name: NameCache.current.id(operationName, in: names), id: UInt64(id) | UInt64(parent) << 32,
            arg: tap.currentTaskID)
        return AsyncTopSpan(id: id, operationName: operationName, context: context, tap: tap, names: names)
    }

    public func forceFlush() {}

    public func inject<Carrier, Inject: Injector>(
        _ context: ServiceContext, into carrier: inout Carrier, using injector: Inject
    ) where Inject.Carrier == Carrier {}

    public func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract
    ) where Extract.Carrier == Carrier {}

    @available(*, deprecated, message: "prefer withSpan")
    public func startAnySpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> any Tracing.Span {
        startSpan(
            operationName, context: context(), ofKind: kind, at: instant(), function: function, file: fileID, line: line
        )
    }
}

/// The asynctop span id carried in a `ServiceContext`, so that a span opened inside another names it as parent.
enum AsyncTopSpanKey: ServiceContextKey {
    typealias Value = UInt32
    static var nameOverride: String? { "asynctop-span-id" }
}
