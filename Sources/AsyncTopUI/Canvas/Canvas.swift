/// A grid of character cells that views draw on: the terminal (`TerminalCanvas`) or memory
/// (`MemoryCanvas`, for tests and benchmarks). Views never talk to ncurses directly.
public protocol Canvas {
    var rows: Int { get }
    var columns: Int { get }
    /// Writes `text` at (row, column), clipped to the canvas. Control characters are replaced, whatever the
    /// caller passed: nothing written here can be an escape sequence.
    mutating func put(row: Int, column: Int, _ text: String, style: Style)
    /// Blanks the canvas.
    mutating func clear()
}

extension Canvas {
    public mutating func put(row: Int, column: Int, _ text: String) {
        put(row: row, column: column, text, style: .plain)
    }

    /// Fills a whole row with spaces in `style` (for bars and selections) then writes `text` on it.
    public mutating func fillRow(_ row: Int, _ text: String = "", style: Style) {
        put(row: row, column: 0, TextWidth.pad(text, to: columns), style: style)
    }
}

/// Colours a cell can have; `nil` means the terminal's default.
public enum TextColor: Int, Hashable, Sendable {
    case red = 1
    case green, yellow, blue, magenta, cyan
    /// The header bar (inverse in monochrome).
    case header
}

/// How a run of text looks.
public struct Style: Hashable, Sendable {
    public var color: TextColor?
    public var bold = false
    public var reverse = false
    public var dim = false
    public var underline = false

    public init(
        color: TextColor? = nil, bold: Bool = false, reverse: Bool = false, dim: Bool = false, underline: Bool = false
    ) {
        self.color = color
        self.bold = bold
        self.reverse = reverse
        self.dim = dim
        self.underline = underline
    }

    public static let plain = Style()
    public static let header = Style(color: .header)
    public static let selected = Style(reverse: true)
    public static let title = Style(bold: true)
    public static let dim = Style(dim: true)
    public static let warning = Style(color: .red, bold: true)
    public static let good = Style(color: .green)
    public static let notice = Style(color: .yellow)
    public static let accent = Style(color: .cyan)
}

/// Display widths of text in terminal columns, and fitting text to a width.
public enum TextWidth {
    /// Columns a scalar takes: 0 for combining marks, 2 for East Asian wide and emoji, else 1.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        switch v {
        case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F, 0x200B...0x200D:
            return 0
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
            0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }

    public static func of(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + of($1) }
    }

    /// `text` cut to at most `width` columns (with "…" when cut and `ellipsis` is set).
    public static func truncate(_ text: String, to width: Int, ellipsis: Bool = true) -> String {
        guard width > 0 else { return "" }
        if text.unicodeScalars.count <= width, text.unicodeScalars.allSatisfy({ of($0) == 1 }) { return text }
        guard of(text) > width else { return text }
        let budget = ellipsis ? width - 1 : width
        var result = String.UnicodeScalarView()
        var used = 0
        for scalar in text.unicodeScalars {
            let w = of(scalar)
            if used + w > budget { break }
            result.append(scalar)
            used += w
        }
        var cut = String(result)
        if ellipsis { cut += "…" }
        return cut
    }

    /// `text` cut to at most `width` columns from the left ("…" first when cut): for source locations, whose
    /// end (`File.swift:21`) is the part that tells them apart.
    public static func truncateKeepingEnd(_ text: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        guard of(text) > width else { return text }
        var kept = String.UnicodeScalarView()
        var used = 0
        for scalar in text.unicodeScalars.reversed() {
            let w = of(scalar)
            if used + w > width - 1 { break }
            kept.append(scalar)
            used += w
        }
        return "…" + String(String.UnicodeScalarView(kept.reversed()))
    }

    /// As many of `parts` as fit in `width` columns whole, in order, joined by `separator` (the first that does not
    /// fit ends the line): for lines made of figures, where a part cut short reads as another figure.
    public static func fitParts(_ parts: [String], separator: String = "", to width: Int) -> String {
        var text = ""
        for part in parts {
            let longer = text.isEmpty ? part : text + separator + part
            guard of(longer) <= width else { break }
            text = longer
        }
        return text
    }

    /// Free text fitted to `width` columns without splitting a word, nor a number from the word after it: whole
    /// words, then "…", so that a figure and its unit (`201ms`, `(14 tasks)`, `p50 1ns`) show whole or not at all;
    /// a sentence's one figure, if cut, is kept after the "…" when it fits. A first word wider than the width is
    /// cut as `truncate` cuts.
    public static func fitWords(_ text: String, to width: Int) -> String {
        guard of(text) > width else { return text }
        var pieces: [String] = []
        for word in text.split(separator: " ") {
            if let last = pieces.last, last.last?.isNumber == true {
                pieces[pieces.count - 1] = last + " " + word
            } else {
                pieces.append(String(word))
            }
        }
        var keptCount = 0
        var kept = ""
        for piece in pieces {
            let longer = kept.isEmpty ? piece : kept + " " + piece
            guard of(longer) + 1 <= width else { break }
            kept = longer
            keptCount += 1
        }
        // A sentence's one figure, when cut, goes on after the "…" with as many words before it as fit: "callback
        // blocked the loop for 200ms" in 24 columns is "callback blocked… 200ms", not "callback blocked the…". (In a
        // list of figures, `p50 1ns p99 15.0ms max 210ms`, a figure alone would lose its label: cut as usual.)
        let figures = pieces.filter { $0.contains(where: \.isNumber) }
        if figures.count == 1, let figure = figures.first, !pieces[..<keptCount].contains(figure) {
            for count in stride(from: keptCount, through: 0, by: -1) {
                let candidate =
                    (pieces[..<count] + ["…"]).joined(separator: " ").replacing(" …", with: "…")
                    + " " + figure
                if of(candidate) <= width { return candidate }
            }
        }
        return kept.isEmpty ? truncate(text, to: width) : kept + "…"
    }

    /// A source location (`Module/Dir/File.swift:21`) fitted to `width` columns, keeping what tells it apart:
    /// the whole of it; else without its directories (`File.swift:21`); else without the extension (`File:21`);
    /// else the name's start and the line (`Fi…:21`: the start tells files apart, "…tion:28" did not). The line is
    /// never lost.
    public static func fitLocation(_ location: String, to width: Int) -> String {
        guard of(location) > width else { return location }
        let file = location.split(separator: "/").last.map(String.init) ?? location
        if of(file) <= width { return file }
        var stem = file
        if let colon = file.lastIndex(of: ":"), file[..<colon].hasSuffix(".swift") {
            stem = String(file[..<colon].dropLast(6)) + String(file[colon...])
        }
        if of(stem) <= width { return stem }
        if let colon = stem.lastIndex(of: ":") {
            let line = String(stem[colon...])
            let room = width - of(line) - 1
            if room >= 2 { return truncate(String(stem[..<colon]), to: room, ellipsis: false) + "…" + line }
        }
        return truncateKeepingEnd(stem, to: width)
    }

    /// True for a source location (`path/File.swift:21`): text ending in a colon and a line number.
    public static func isSourceLocation(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex else { return false }
        let digits = text[text.index(after: colon)...]
        return !digits.isEmpty && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
    }

    public static func pad(_ text: String, to width: Int) -> String {
        let cut = truncate(text, to: width)
        let w = of(cut)
        return w < width ? cut + String(repeating: " ", count: width - w) : cut
    }

    /// `text` right-aligned in `width` columns.
    public static func padLeft(_ text: String, to width: Int) -> String {
        let cut = truncate(text, to: width)
        let w = of(cut)
        return w < width ? String(repeating: " ", count: width - w) + cut : cut
    }

    /// Replaces anything a terminal would interpret (C0, DEL, C1) with "?": the canvas's last line of defence.
    /// `text` in ASCII, for a terminal without UTF-8 (or `--ascii`): the few non-ASCII characters asynctop writes
    /// itself become one ASCII character each (`µs` → `us`, `…` → `.`, `×` → `x`, arrows), so widths stay as laid
    /// out; anything else (from a trace's names) becomes `?`.
    public static func ascii(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value >= 0x80 }) else { return text }
        return String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar -> Unicode.Scalar in
                    guard scalar.value >= 0x80 else { return scalar }
                    switch scalar {
                    case "µ", "μ": return "u"
                    case "…": return "."
                    case "×": return "x"
                    case "→", "▶", "▸": return ">"
                    case "←": return "<"
                    case "▲", "↑": return "^"
                    case "▼", "↓": return "v"
                    case "—", "–", "─": return "-"
                    case "│": return "|"
                    case "⏸": return "="
                    case "·", "•": return "."
                    default: return "?"
                    }
                }))
    }

    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            return text
        }
        return String(
            String.UnicodeScalarView(
                text.unicodeScalars.map {
                    $0.value < 0x20 || (0x7F...0x9F).contains($0.value) ? "?" : $0
                }))
    }
}
