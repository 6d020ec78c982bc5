import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One HTTP/1.1 GET on 127.0.0.1 over a blocking socket, for the tests and benchmarks that scrape `asynctop serve`.
public enum LoopbackHTTP {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The whole response (head and body) to `GET path`, the connection closed after it; `headers` are extra
    /// request header lines, each ending in CRLF.
    public static func get(port: Int, path: String, headers: String = "") throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(description: "cannot connect to 127.0.0.1:\(port)") }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(headers)Connection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }

    /// The body of a 200 response to `GET path`; any other answer is an error.
    public static func body(port: Int, path: String) throws -> String {
        let text = try get(port: port, path: path)
        guard text.hasPrefix("HTTP/1.1 200"), let split = text.range(of: "\r\n\r\n") else {
            throw Failure(description: "GET \(path): \(text.prefix(200))")
        }
        return String(text[split.upperBound...])
    }
}
