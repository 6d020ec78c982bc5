import AsyncTopRuntime
import Synchronization

extension Demo {
    /// A real TCP echo server and 100 clients on a 2-loop group.
    public static let echoServer = Demo(
        name: "echo-server",
        summary: "a TCP echo server on 127.0.0.1 and 100 clients on 2 loops: readiness, a task per connection",
        narrative: [
            "{Loop 0} runs an echo server on 127.0.0.1 (a free port): each accepted connection gets its own task "
                + "that waits for readiness, reads and writes back.",
            "{Loop 1} runs 100 clients; each sends 20 messages of 512 bytes and checks every byte comes back. "
                + "Counters: echo.bytes and clients.verified.",
            "View 1: io watchers on both loops; view 2: a 'connection' task per client. Every 10 s a new round of "
                + "clients connects."
        ],
        loops: 2,
        start: { context in
            let server = context.group.loops[0]
            let clients = context.group.loops[1]
            server.execute {
                do {
                    let listener = try TCPListener()
                    _ = try server.watch(listener.descriptor, interest: .readable) { _, _ in
                        while let connection = try? listener.accept() {
                            serveEcho(connection, on: server, context: context)
                        }
                    }
                    clients.execute { echoClientsRound(port: listener.port, on: clients, context: context, round: 0) }
                } catch {
                    context.say("cannot listen: \(error)")
                }
            }
        })
}

/// Reads what a readiness handler delivers: the task awaits a promise the handler fulfils.
private final class Readiness: @unchecked Sendable {
    var waiter: Promise<Void>?
    var ready = false

    func wait(on loop: EventLoop) async throws {
        if ready {
            ready = false
            return
        }
        let promise = loop.makePromise(of: Void.self)
        waiter = promise
        try await promise.future.value
        ready = false
    }

    func signal() {
        if let waiter {
            self.waiter = nil
            waiter.succeed(())
        } else {
            ready = true
        }
    }
}

private let echoedBytes = Atomic<Int>(0)

private func serveEcho(_ connection: IODescriptor, on loop: EventLoop, context: DemoContext) {
    let readiness = Readiness()
    guard let watch = try? loop.watch(connection, interest: .readable, handler: { _, _ in readiness.signal() }) else {
        connection.close()
        return
    }
    loop.spawn(name: "connection \(connection.rawValue)") {
        defer { watch.unwatch() }
        while !context.isStopped {
            switch try connection.read() {
            case .bytes(let bytes):
                var offset = 0
                while offset < bytes.count {
                    offset += try connection.write(bytes[offset...])
                }
                let total = echoedBytes.add(bytes.count, ordering: .relaxed).newValue
                loop.recordCounter("echo.bytes", Int64(total))
            case .wouldBlock:
                try await readiness.wait(on: loop)
            case .endOfFile:
                return
            }
        }
    }
}

private func echoClientsRound(port: UInt16, on loop: EventLoop, context: DemoContext, round: Int) {
    let verified = Atomic<Int>(0)
    for client in 0..<100 {
        loop.spawn(name: "client \(client)") {
            let socket = try await TCP.connect(host: "127.0.0.1", port: port, on: loop).value
            let readiness = Readiness()
            let watch = try loop.watch(socket, interest: .readable) { _, _ in readiness.signal() }
            defer { watch.unwatch() }
            let message = (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ client &+ round) }
            for _ in 0..<20 {
                var sent = 0
                while sent < message.count { sent += try socket.write(message[sent...]) }
                var received: [UInt8] = []
                while received.count < message.count {
                    switch try socket.read() {
                    case .bytes(let bytes): received += bytes
                    case .wouldBlock: try await readiness.wait(on: loop)
                    case .endOfFile: throw IOError(call: "read", errno: 104)
                    }
                }
                guard received == message else { throw IOError(call: "echo mismatch", errno: 5) }
            }
            let done = verified.add(1, ordering: .relaxed).newValue
            loop.recordCounter("clients.verified", Int64(done))
            if done == 100 { context.say("round \(round): all 100 clients got every byte back") }
        }
    }
    loop.schedule(after: .seconds(10)) {
        if !context.isStopped { echoClientsRound(port: port, on: loop, context: context, round: round + 1) }
    }
}
