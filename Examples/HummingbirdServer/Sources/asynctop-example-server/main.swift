import AsyncTopNIO
import Hummingbird
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

// A Hummingbird 2 server that asynctop watches whole: `AsyncTop.traceServer` below is the only line that is
// asynctop's. Flags: --port N (0 picks a free one; the port is printed once listening), --loops N (NIO loops,
// default: one per core), --untraced (the same server without asynctop, for the benchmark's baseline).
let arguments = CommandLine.arguments
func option(_ name: String) -> Int? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return Int(arguments[index + 1])
}
let loops = option("--loops") ?? System.coreCount
let group =
    arguments.contains("--untraced")
    ? MultiThreadedEventLoopGroup(numberOfThreads: loops)
    : try AsyncTop.traceServer(numberOfThreads: loops)

let router = Router(context: ServerContext.self)
router.add(middleware: TracingMiddleware())
Routes.add(to: router)

let app = Application(
    router: router,
    configuration: .init(
        address: .hostname("127.0.0.1", port: option("--port") ?? 8080), serverName: "asynctop-example"),
    onServerRunning: { channel in
        // Straight to fd 1, unbuffered: a script waits for this line to know the port.
        var line = "listening on 127.0.0.1:\(channel.localAddress?.port ?? 0)\n"
        line.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
    },
    eventLoopGroupProvider: .shared(group))
try await app.runService()
