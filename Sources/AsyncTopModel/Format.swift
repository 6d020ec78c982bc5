/// Short human forms of durations and counts, shared by views, warnings and summaries.
public enum Format {
    /// "850ns", "12.3µs", "4.56ms", "1.20s", "3m05s".
    public static func duration(_ nanoseconds: UInt64) -> String {
        let ns = Double(nanoseconds)
        switch nanoseconds {
        case ..<1_000: return "\(nanoseconds)ns"
        case ..<1_000_000: return fixed(ns / 1e3) + "µs"
        case ..<1_000_000_000: return fixed(ns / 1e6) + "ms"
        case ..<60_000_000_000: return fixed(ns / 1e9) + "s"
        default:
            let seconds = nanoseconds / 1_000_000_000
            let rest = seconds % 60
            return "\(seconds / 60)m\(rest < 10 ? "0" : "")\(rest)s"
        }
    }

    /// Three significant digits: 1.23, 12.3, 123.
    public static func fixed(_ value: Double) -> String {
        let digits = value < 10 ? 2 : value < 100 ? 1 : 0
        return decimal(value, digits: digits)
    }

    /// `value` with exactly `digits` decimals.
    public static func decimal(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = scaled / Int64(scale)
        let fraction = String(scaled % Int64(scale))
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        return sign + String(whole) + "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }

    /// "999", "12.3k", "4.56M".
    public static func count(_ value: Double) -> String {
        switch value {
        case ..<1_000: return decimal(value, digits: value == value.rounded() ? 0 : 1)
        case ..<1_000_000: return fixed(value / 1e3) + "k"
        case ..<1_000_000_000: return fixed(value / 1e6) + "M"
        default: return fixed(value / 1e9) + "G"
        }
    }
}

extension Format {
    /// Elapsed time as "mm:ss" or "h:mm:ss" (the header's clock); with `tenths`, "mm:ss.t": a moment of the run,
    /// which a duration's "21.8s" does not read as.
    public static func clock(_ nanoseconds: UInt64, tenths: Bool = false) -> String {
        let seconds = nanoseconds / 1_000_000_000
        func two(_ v: UInt64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let fraction = tenths ? ".\(nanoseconds / 100_000_000 % 10)" : ""
        if seconds >= 3600 { return "\(seconds / 3600):\(two(seconds / 60 % 60)):\(two(seconds % 60))\(fraction)" }
        return "\(two(seconds / 60)):\(two(seconds % 60))\(fraction)"
    }
}
