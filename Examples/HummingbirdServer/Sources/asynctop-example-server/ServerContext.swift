import Hummingbird
import NIOCore

/// Hummingbird's basic request context plus the event loop of the request's connection, which the
/// `/block-loop` route blocks on purpose.
struct ServerContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let eventLoop: any EventLoop

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        eventLoop = source.channel.eventLoop
    }
}
