/// A canvas in memory: what the views drew, as text and styles, for snapshot tests and benchmarks.
public struct MemoryCanvas: Canvas {
    public struct Cell: Hashable, Sendable {
        /// The scalar shown, or "" for the right half of a wide character.
        public var text: String
        public var style: Style
    }
    public let rows: Int
    public let columns: Int
    public private(set) var cells: [[Cell]]

    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        cells = Array(repeating: Array(repeating: Cell(text: " ", style: .plain), count: columns), count: rows)
    }

    public mutating func clear() {
        for row in 0..<rows {
            for column in 0..<columns { cells[row][column] = Cell(text: " ", style: .plain) }
        }
    }

    public mutating func put(row: Int, column: Int, _ text: String, style: Style) {
        guard row >= 0, row < rows, column < columns else { return }
        var x = column
        for scalar in TextWidth.printable(text).unicodeScalars {
            let width = TextWidth.of(scalar)
            if x + width > columns { break }
            if width == 0 {
                if x > 0, x - 1 >= 0 { cells[row][x - 1].text.unicodeScalars.append(scalar) }
                continue
            }
            if x >= 0 {
                cells[row][x] = Cell(text: String(scalar), style: style)
                if width == 2 { cells[row][x + 1] = Cell(text: "", style: style) }
            }
            x += width
        }
    }

    /// The canvas as lines of text, trailing spaces kept.
    public var lines: [String] { cells.map { $0.map(\.text).joined() } }

    /// The whole canvas as one string, trailing spaces trimmed per line.
    public var text: String {
        lines.map { line in
            var trimmed = line
            while trimmed.hasSuffix(" ") { trimmed.removeLast() }
            return trimmed
        }.joined(separator: "\n")
    }

    /// The style of the cell at (row, column).
    public func style(row: Int, column: Int) -> Style { cells[row][column].style }
}
