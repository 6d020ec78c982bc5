import CNcurses

/// The terminal, through ncurses. One per process; `start()` takes over the terminal and `stop()` (also run
/// on SIGINT/SIGTERM via the app loop, and on crashes by a signal handler) gives it back.
public struct TerminalCanvas: Canvas {
    public private(set) var rows = 0
    public private(set) var columns = 0

    /// Starts curses. `color` false for NO_COLOR or --no-color; monochrome terminals fall back by themselves.
    /// Writes ASCII only (`TextWidth.ascii`): no byte at or above 0x80 reaches the terminal.
    private let asciiOnly: Bool

    public init(color: Bool, asciiOnly: Bool) {
        self.asciiOnly = asciiOnly
        _ = cn_start(color)
        updateSize()
    }

    /// True when terminfo says `term` can move the cursor (see `cn_terminal_can_address`).
    public static func canAddress(term: String) -> Bool { cn_terminal_can_address(term) }

    /// True when the locale can show UTF-8 (otherwise views use ASCII glyphs).
    public static var localeIsUTF8: Bool { cn_locale_is_utf8() }

    public mutating func updateSize() {
        var r: Int32 = 0
        var c: Int32 = 0
        cn_size(&r, &c)
        if Int(r) != rows || Int(c) != columns { cn_repaint_all() }
        rows = Int(r)
        columns = Int(c)
    }

    public mutating func clear() { cn_clear() }

    public mutating func put(row: Int, column: Int, _ text: String, style: Style) {
        guard row >= 0, row < rows, column >= 0, column < columns else { return }
        let printable = TextWidth.printable(text)
        let fitted = TextWidth.truncate(
            asciiOnly ? TextWidth.ascii(printable) : printable, to: columns - column, ellipsis: false)
        var attributes = Int32(style.color?.rawValue ?? 0)
        if style.bold { attributes |= Int32(CN_BOLD) }
        if style.reverse { attributes |= Int32(CN_REVERSE) }
        if style.dim { attributes |= Int32(CN_DIM) }
        if style.underline { attributes |= Int32(CN_UNDERLINE) }
        cn_put(Int32(row), Int32(column), fitted, attributes)
    }

    public func present() { cn_present() }

    /// The next key, waiting at most `timeoutMilliseconds`.
    public func readKey(timeoutMilliseconds: Int) -> Key? {
        Key(code: Int(cn_read_key(Int32(timeoutMilliseconds))))
    }

    public static var quitRequested: Bool { cn_quit_requested() }

    public func stop() { cn_stop() }
}
