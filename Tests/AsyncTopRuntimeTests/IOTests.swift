import AsyncTopRuntime
import AsyncTopTrace
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("I/O", .timeLimit(.minutes(1)))
struct IOTests {
    @Test("a watched pipe delivers what is written to it, then end of file")
    func pipe() async throws {
        let loop = try EventLoop(name: "pipe")
        let pipe = try Pipe()
        let received = loop.makePromise(of: [UInt8].self)
        _ = try await loop.run {
            let buffer = LoopConfined<[UInt8]>([])
            return try loop.watch(pipe.reader, interest: .readable) { watch, events in
                while true {
                    do {
                        switch try watch.descriptor.read() {
                        case .bytes(let bytes): buffer.value += bytes
                        case .wouldBlock: return
                        case .endOfFile:
                            watch.unwatch()
                            received.succeed(buffer.value)
                            return
                        }
                    } catch {
                        received.fail(error)
                        return
                    }
                }
            }
        }
        let message = Array("hello, loop".utf8)
        #expect(try pipe.writer.write(message) == message.count)
        #expect(try pipe.writer.write(message) == message.count)
        pipe.writer.close()
        #expect(try await received.future.value == message + message)
        await loop.shutdown()
    }

    @Test("watch must be called on the loop thread")
    func watchOffLoop() async throws {
        let loop = try EventLoop(name: "watch-off-loop")
        let pipe = try Pipe()
        #expect(throws: LoopError.notOnLoopThread(operation: "watch")) {
            try loop.watch(pipe.reader, interest: .readable) { _, _ in }
        }
        pipe.reader.close()
        pipe.writer.close()
        await loop.shutdown()
    }

    @Test("a TCP echo server and client on loopback")
    func tcpEcho() async throws {
        signal(SIGPIPE, SIG_IGN)
        let group = try EventLoopGroup(threads: 2, name: "echo")
        let server = group.next()
        let client = group.next()
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        #expect(listener.port != 0)
        _ = try await server.run {
            try server.watch(listener.descriptor, interest: .readable) { _, _ in
                while let connection = try? listener.accept() {
                    let pending = LoopConfined<[UInt8]>([])
                    _ = try? server.watch(connection, interest: .readable) { watch, events in
                        if events.contains(.readable) {
                            readLoop: while true {
                                switch try? watch.descriptor.read() {
                                case .bytes(let bytes)?: pending.value += bytes
                                case .wouldBlock?: break readLoop
                                case .endOfFile?, nil:
                                    watch.unwatch()
                                    return
                                }
                            }
                        }
                        if !pending.value.isEmpty {
                            let written = (try? watch.descriptor.write(pending.value)) ?? 0
                            pending.value.removeFirst(written)
                        }
                        watch.setInterest(pending.value.isEmpty ? .readable : [.readable, .writable])
                    }
                }
            }
        }

        let message = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let descriptor = try await TCP.connect(host: "127.0.0.1", port: listener.port, on: client).value
        let echoed = client.makePromise(of: [UInt8].self)
        _ = try await client.run {
            let received = LoopConfined<[UInt8]>([])
            let toSend = LoopConfined(message[...])
            return try client.watch(descriptor, interest: [.readable, .writable]) { watch, events in
                if events.contains(.writable), !toSend.value.isEmpty {
                    let written = (try? watch.descriptor.write(toSend.value)) ?? 0
                    toSend.value = toSend.value.dropFirst(written)
                    if toSend.value.isEmpty { watch.setInterest(.readable) }
                }
                while true {
                    switch try? watch.descriptor.read() {
                    case .bytes(let bytes)?:
                        received.value += bytes
                        if received.value.count >= message.count {
                            watch.unwatch()
                            echoed.succeed(received.value)
                            return
                        }
                    case .wouldBlock?:
                        return
                    case .endOfFile?, nil:
                        watch.unwatch()
                        echoed.succeed(received.value)
                        return
                    }
                }
            }
        }
        #expect(try await echoed.future.value == message)
        await group.shutdown()
    }

    @Test("connecting to a closed port fails")
    func connectRefused() async throws {
        let loop = try EventLoop(name: "refused")
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let port = listener.port
        listener.descriptor.close()
        await #expect(throws: IOError.self) { try await TCP.connect(host: "127.0.0.1", port: port, on: loop).value }
        await #expect(throws: IOError.self) {
            try await TCP.connect(host: "not an address", port: port, on: loop).value
        }
        await loop.shutdown()
    }
}
