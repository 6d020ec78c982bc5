/// The characters views draw with: Unicode block and box glyphs, or plain ASCII (`--ascii`, or a locale
/// that is not UTF-8).
public struct Glyphs: Sendable {
    public var sparks: [String]
    public var barFull: String
    public var barEmpty: String
    public var treeBranch: String
    public var treeLast: String
    public var treePipe: String
    public var up: String
    public var down: String

    public static let unicode = Glyphs(
        sparks: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], barFull: "█", barEmpty: "░", treeBranch: "├─ ",
        treeLast: "└─ ", treePipe: "│  ", up: "▲", down: "▼")
    public static let ascii = Glyphs(
        sparks: ["_", ".", "-", "=", "+", "*", "#", "@"], barFull: "#", barEmpty: ".", treeBranch: "|- ",
        treeLast: "`- ", treePipe: "|  ", up: "^", down: "v")

    /// A sparkline of `values` scaled to their maximum, or to `floor` if that is higher (so that noise near
    /// zero does not fill the line); nil values draw as blanks.
    public func sparkline(_ values: [Double?], floor: Double = 0) -> String {
        let top = max(values.compactMap { $0 }.max() ?? 0, floor)
        return values.map { value in
            guard let value else { return " " }
            guard top > 0 else { return sparks[0] }
            let index = Int((value / top) * Double(sparks.count - 1) + 0.5)
            return sparks[min(max(index, 0), sparks.count - 1)]
        }.joined()
    }

    /// A bar `width` columns wide, filled to `fraction` (0…1).
    public func bar(_ fraction: Double, width: Int) -> String {
        let filled = min(width, max(0, Int((fraction * Double(width)).rounded())))
        return String(repeating: barFull, count: filled) + String(repeating: barEmpty, count: width - filled)
    }
}
