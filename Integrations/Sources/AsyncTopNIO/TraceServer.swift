@_exported import AsyncTopConcurrency
import AsyncTopTracing
import NIOCore
import NIOPosix
import Tracing

extension AsyncTop {
    /// The one call for a SwiftNIO server (Hummingbird, Vapor, gRPC): publishes this process's trace region for
    /// `asynctop attach`, taps Swift Concurrency's global executor (`traceConcurrency`), makes asynctop the
    /// process's swift-distributed-tracing tracer (`AsyncTopTracer`), and returns a `MultiThreadedEventLoopGroup`
    /// whose loops are traced (`AsyncTopLoopMetrics`). Pass the group to the server (Hummingbird:
    /// `eventLoopGroupProvider: .shared(group)`).
    ///
    /// Call it once, first thing in `main`: swift-distributed-tracing's `InstrumentationSystem` can be bootstrapped
    /// only once per process. Under `asynctop run` the region and the tap are the preloaded ones.
    public static func traceServer(
        numberOfThreads: Int = System.coreCount
    ) throws(ConcurrencyTapError) -> MultiThreadedEventLoopGroup {
        let tap = try traceConcurrency()
        InstrumentationSystem.bootstrap(AsyncTopTracer(tap: tap))
        return MultiThreadedEventLoopGroup(
            numberOfThreads: numberOfThreads, metricsDelegate: AsyncTopLoopMetrics(region: tap.region))
    }
}
