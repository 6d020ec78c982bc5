/// Writes metric families as text in the Prometheus exposition format (0.0.4) or in OpenMetrics 1.0, which the
/// scraper chooses with its `Accept` header (`Format.negotiated`).
///
/// Written by hand rather than with swift-prometheus (2.4.1): its metrics keep their own values and take
/// observations one at a time (`Histogram.record`, a lock each), while the figures here are already aggregated by
/// the model (whole-run bucket counts, totals), which its API cannot set. Feeding it would mean recording every
/// latency sample a second time: measured by `asynctop-bench serve`, 57 ns a sample, 1.6 % of a core more at the
/// fleet's 280 000 samples/s (the exporter itself: 4.6 %), and it writes no OpenMetrics. The format itself is a
/// few line shapes.
///
/// Threading: a value, used by one thread. Cost: O(text written); appends to one growing byte buffer.
public struct MetricsExposition {
    public enum Format: Sendable, Equatable {
        case prometheus, openMetrics

        public var contentType: String {
            switch self {
            case .prometheus: return "text/plain; version=0.0.4; charset=utf-8"
            case .openMetrics: return "application/openmetrics-text; version=1.0.0; charset=utf-8"
            }
        }

        /// OpenMetrics when the `Accept` header lists it with a non-zero quality, else the Prometheus format.
        public static func negotiated(accept: String?) -> Format {
            guard let accept else { return .prometheus }
            for item in accept.split(separator: ",") {
                let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: " \t") }
                guard parts.first == "application/openmetrics-text" else { continue }
                let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
                if quality > 0 { return .openMetrics }
            }
            return .prometheus
        }
    }

    public enum Kind: String, Sendable { case counter, gauge, histogram }

    /// A metric family: its name (a counter's without the `_total` its samples carry), help text and kind.
    public struct Family: Sendable {
        public let name: String
        public let help: String
        public let kind: Kind
        public init(_ name: String, _ kind: Kind, _ help: String) {
            self.name = name
            self.kind = kind
            self.help = help
        }
    }

    /// A sample's labels, escaped and rendered once (`pid="7",process="x"`), so that a series' many lines (a
    /// histogram's buckets) repeat the text instead of re-escaping it.
    public struct Labels: Sendable, ExpressibleByArrayLiteral {
        public private(set) var text = ""
        public init(arrayLiteral elements: (String, String)...) {
            for (name, value) in elements { self = adding(name, value) }
        }
        /// These labels and `name="value"`.
        public func adding(_ name: String, _ value: String) -> Labels {
            var labels = self
            if !labels.text.isEmpty { labels.text += "," }
            labels.text += name + "=\"" + MetricsExposition.escapedLabel(value) + "\""
            return labels
        }
        public static func + (labels: Labels, pairs: [(String, String)]) -> Labels {
            pairs.reduce(labels) { $0.adding($1.0, $1.1) }
        }
    }

    public let format: Format
    public private(set) var bytes: [UInt8] = []

    public init(format: Format) {
        self.format = format
        bytes.reserveCapacity(64 * 1024)
    }

    /// Starts a family: its `# HELP` and `# TYPE` lines. Every sample of a family follows its header, before the
    /// next family starts.
    public mutating func begin(_ family: Family) {
        let named = family.kind == .counter && format == .prometheus ? family.name + "_total" : family.name
        append("# HELP \(named) \(Self.escapedHelp(family.help))\n# TYPE \(named) \(family.kind.rawValue)\n")
    }

    /// A counter's or gauge's sample.
    public mutating func sample(_ family: Family, _ labels: Labels, _ value: Double) {
        line(family.kind == .counter ? family.name + "_total" : family.name, labels, Self.number(value))
    }

    public mutating func sample(_ family: Family, _ labels: Labels, _ value: UInt64) {
        line(family.kind == .counter ? family.name + "_total" : family.name, labels, String(value))
    }

    /// A histogram's samples: one `_bucket` per bound (`le`, already rendered by `number`) with the count at or
    /// below it, `+Inf`, `_count`, `_sum`.
    public mutating func histogram(
        _ family: Family, _ labels: Labels, bounds: [String], cumulativeCounts: [UInt64], count: UInt64, sum: Double
    ) {
        let bucket = family.name + "_bucket"
        let separator = labels.text.isEmpty ? "" : ","
        for (bound, cumulative) in zip(bounds, cumulativeCounts) {
            append(bucket)
            append("{")
            append(labels.text)
            append(separator)
            append("le=\"")
            append(bound)
            append("\"} ")
            append(String(cumulative))
            append("\n")
        }
        line(bucket, labels.adding("le", "+Inf"), String(count))
        line(family.name + "_count", labels, String(count))
        line(family.name + "_sum", labels, Self.number(sum))
    }

    /// Ends the exposition (OpenMetrics requires its `# EOF` line).
    public mutating func finish() {
        if format == .openMetrics { append("# EOF\n") }
    }

    private mutating func line(_ name: String, _ labels: Labels, _ value: String) {
        append(name)
        if !labels.text.isEmpty {
            append("{")
            append(labels.text)
            append("}")
        }
        append(" ")
        append(value)
        append("\n")
    }

    private mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// A value as both formats read it: `+Inf`, `-Inf`, `NaN`, integers without a fraction, others in Swift's
    /// shortest round-trip form (`2.5e-06`).
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// Label values escape backslash, double quote and line feed; other control characters (from a process name)
    /// become spaces, so a line stays one line.
    static func escapedLabel(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: escaped += " "
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// Help text escapes backslash and line feed (the families' help is asynctop's own, without quotes).
    static func escapedHelp(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        String(String(drop { set.contains($0) }.reversed()).drop { set.contains($0) }.reversed())
    }
}
