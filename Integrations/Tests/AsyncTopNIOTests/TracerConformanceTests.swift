import AsyncTopConcurrency
import AsyncTopTrace
import AsyncTopTracing
import Testing
import Tracing

/// The tracing bridge against the vocabulary: real spans through swift-distributed-tracing's API, in a real task
/// under the concurrency tap, checked event by event against what the span kinds document.
@Suite("AsyncTopTracer writes spans as the vocabulary says")
struct TracerConformanceTests {
    struct Failure: Error {}

    @Test("span ids, parents, tasks, early and final names, attributes and status")
    func spans() async throws {
        let tap = try AsyncTop.traceConcurrency()
        let region = try Region(layout: RegionLayout(ringCount: 16, ringCapacity: 1 << 14, namesCapacity: 1 << 16))
        tap.trace(into: region)
        let tracer = AsyncTopTracer(tap: tap)
        let (task, outer, inner) = await Task {
            let outer = tracer.startSpan("HTTP GET route not found", ofKind: .server)
            outer.attributes["http.request.method"] = "GET"
            outer.attributes["url.path"] = "/users/7"
            let inner = tracer.startSpan("load user", context: outer.context)
            inner.attributes["rows"] = 1
            inner.recordError(Failure())
            inner.end()
            outer.operationName = "/users/:id"
            outer.attributes["http.response.status_code"] = 200
            outer.end()
            return (tap.currentTaskID, outer.id, inner.id)
        }.value

        var batch = EventBatch()
        let source = InProcessSource(region: region)
        _ = source.read(into: &batch, limit: .max)
        let names = source.names
        func text(_ event: TraceEvent) -> String? { names.string(for: event.name) }
        let outerEvents = batch.events.filter {
            UInt32(truncatingIfNeeded: $0.id) == outer && $0.kind.rawValue >> 8 == 0x08
        }
        let innerEvents = batch.events.filter {
            UInt32(truncatingIfNeeded: $0.id) == inner && $0.kind.rawValue >> 8 == 0x08
        }
        #expect(task != 0)

        let outerBegan = try #require(outerEvents.first { $0.kind == .spanBegan })
        #expect(outerBegan.id >> 32 == 0, "a root span has no parent")
        #expect(outerBegan.arg == task, "arg: the task that opened it")
        #expect(text(outerBegan) == "HTTP GET route not found")
        let named = try #require(outerEvents.first { $0.kind == .spanNamed })
        #expect(text(named) == "GET /users/7", "named early from method and path")
        #expect(outerEvents.contains { $0.kind == .spanAttribute && text($0) == "url.path=/users/7" })
        #expect(
            outerEvents.contains { $0.kind == .spanNumber && text($0) == "http.response.status_code" && $0.arg == 200 })
        let outerEnded = try #require(outerEvents.last)
        #expect(outerEnded.kind == .spanEnded && outerEnded.arg == 0 && text(outerEnded) == "GET /users/:id")

        let innerBegan = try #require(innerEvents.first { $0.kind == .spanBegan })
        #expect(UInt32(innerBegan.id >> 32) == outer, "id bits 32–63: the parent span")
        #expect(innerEvents.contains { $0.kind == .spanNumber && text($0) == "rows" && Int64(bitPattern: $0.arg) == 1 })
        let innerEnded = try #require(innerEvents.last)
        #expect(innerEnded.kind == .spanEnded && innerEnded.arg == 1, "arg 1: an error was recorded")
        #expect(innerEnded.time >= innerBegan.time && outerEnded.time >= innerEnded.time)
    }
}
