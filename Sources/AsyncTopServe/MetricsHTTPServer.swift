import AsyncTopRuntime

#if canImport(Glibc)
    import Glibc
#endif

/// The HTTP/1.1 side of `asynctop serve`: GET requests on asynctop's own event loop, answered by `respond`.
///
/// Written by hand on asynctop's loop rather than with SwiftNIO's HTTP: the exporter is part of the `asynctop`
/// binary, and the core build keeps SwiftNIO out (a user who wants the monitor does not compile a web server);
/// the loop already does non-blocking TCP, and a scrape endpoint needs only the request line and the `Accept`
/// header. Keep-alive is honoured (Prometheus reuses its connection); requests are read up to 16 KiB of headers,
/// anything longer is refused with 431 and the connection closed.
///
/// Threading: everything runs on `loop`'s thread. Cost: per request, a header parse and one write of the body.
public final class MetricsHTTPServer: @unchecked Sendable {
    public struct Request {
        public var method: String
        public var path: String
        public var headers: [String: String]
    }

    public struct Response {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]
        public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    static let headerLimit = 16 * 1024

    private let loop: EventLoop
    private let respond: (Request) -> Response

    /// Starts serving `listener` on `loop` (from any thread).
    public init(listener: TCPListener, on loop: EventLoop, respond: @escaping (Request) -> Response) {
        self.loop = loop
        self.respond = respond
        loop.execute { [self] in
            do {
                _ = try loop.watch(listener.descriptor, interest: .readable) { [self] _, _ in
                    while let connection = try? listener.accept() { serve(connection) }
                }
            } catch {
                listener.descriptor.close()
            }
        }
    }

    /// One connection's buffers: bytes read and not yet parsed, bytes of responses not yet written.
    private final class Connection {
        var input: [UInt8] = []
        var output: [UInt8] = []
        var closeAfterWrite = false
    }

    private func serve(_ descriptor: IODescriptor) {
        let connection = Connection()
        _ = try? loop.watch(descriptor, interest: .readable) { [self] watch, events in
            if events.contains(.writable) || !connection.output.isEmpty {
                flush(connection, watch)
                return
            }
            switch (try? descriptor.read()) ?? .endOfFile {
            case .bytes(let bytes):
                connection.input += bytes
                answerComplete(connection, watch)
            case .wouldBlock:
                return
            case .endOfFile:
                watch.unwatch()
            }
        }
    }

    /// Answers every complete request in the input, in order.
    private func answerComplete(_ connection: Connection, _ watch: IOWatch) {
        while let end = Self.headerEnd(connection.input) {
            let head = String(decoding: connection.input[..<end], as: UTF8.self)
            connection.input.removeFirst(end + 4)
            let response: Response
            if let request = Self.parse(head) {
                response =
                    request.method == "GET" || request.method == "HEAD"
                    ? respond(request) : Response(status: 405, body: Array("only GET\n".utf8))
                connection.closeAfterWrite = request.headers["connection"]?.lowercased() == "close"
                connection.output += Self.encode(
                    response, includingBody: request.method != "HEAD", closing: connection.closeAfterWrite)
            } else {
                connection.closeAfterWrite = true
                connection.output += Self.encode(
                    Response(status: 400, body: Array("bad request\n".utf8)), includingBody: true, closing: true)
            }
            if connection.closeAfterWrite { break }
        }
        if Self.headerEnd(connection.input) == nil, connection.input.count > Self.headerLimit, connection.output.isEmpty
        {
            connection.closeAfterWrite = true
            connection.output += Self.encode(
                Response(status: 431, body: Array("headers too large\n".utf8)), includingBody: true, closing: true)
        }
        flush(connection, watch)
    }

    /// Writes what it can; waits for `.writable` for the rest; closes once written if asked to.
    private func flush(_ connection: Connection, _ watch: IOWatch) {
        while !connection.output.isEmpty {
            guard let written = try? watch.descriptor.write(connection.output) else {
                watch.unwatch()
                return
            }
            if written == 0 {
                watch.setInterest(.writable)  // not readable meanwhile: the next request waits for this response
                return
            }
            connection.output.removeFirst(written)
        }
        watch.setInterest(.readable)
        if connection.closeAfterWrite { watch.unwatch() }
    }

    /// Where the blank line that ends a request's head begins, if it has arrived.
    static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    /// The request line and headers (names lowercased); nil unless it is `METHOD PATH HTTP/1.x`.
    static func parse(_ head: String) -> Request? {
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            headers[line[..<colon].lowercased()] = String(value)
        }
        let target = parts[1].split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        return Request(method: String(parts[0]), path: target, headers: headers)
    }

    static func encode(_ response: Response, includingBody: Bool, closing: Bool) -> [UInt8] {
        let reasons = [
            200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            431: "Request Header Fields Too Large"
        ]
        let head =
            "HTTP/1.1 \(response.status) \(reasons[response.status] ?? "Error")\r\n"
            + "Content-Type: \(response.contentType)\r\nContent-Length: \(response.body.count)\r\n"
            + (closing ? "Connection: close\r\n" : "") + "\r\n"
        return Array(head.utf8) + (includingBody ? response.body : [])
    }
}
