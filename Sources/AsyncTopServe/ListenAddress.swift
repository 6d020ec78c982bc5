/// Where `asynctop serve` listens: an IPv4 address and a port, `HOST:PORT` on the command line (`localhost` means
/// 127.0.0.1). Loopback unless the user says otherwise: the metrics name the user's processes.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; nil with the reason when it is not one.
    public static func parse(_ text: String) -> Result<ListenAddress, ListenAddressError> {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            return .failure(ListenAddressError(message: "'\(text)' is not HOST:PORT (for example 127.0.0.1:9464)"))
        }
        var host = String(text[..<colon])
        if host == "localhost" { host = "127.0.0.1" }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 != nil }) else {
            return .failure(
                ListenAddressError(message: "'\(host)' is not an IPv4 address (asynctop serve listens on IPv4)"))
        }
        return .success(ListenAddress(host: host, port: port))
    }

    /// 127.0.0.0/8.
    public var isLoopback: Bool { host.hasPrefix("127.") }

    public var description: String { "\(host):\(port)" }
}

public struct ListenAddressError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
