import CNcurses

/// A key press, decoded from curses' codes.
public enum Key: Hashable, Sendable {
    case character(Character)
    case up, down, left, right, pageUp, pageDown, home, end, enter, escape, tab, backTab, backspace
    case resize
    case controlC
    /// Ctrl-U: clears the filter being typed.
    case controlU
    /// The terminal hung up.
    case hangup

    init?(code: Int) {
        switch code {
        case Int(CN_KEY_NONE): return nil
        case Int(CN_KEY_UP): self = .up
        case Int(CN_KEY_DOWN): self = .down
        case Int(CN_KEY_LEFT): self = .left
        case Int(CN_KEY_RIGHT): self = .right
        case Int(CN_KEY_PAGE_UP): self = .pageUp
        case Int(CN_KEY_PAGE_DOWN): self = .pageDown
        case Int(CN_KEY_HOME): self = .home
        case Int(CN_KEY_END): self = .end
        case Int(CN_KEY_ENTER): self = .enter
        case Int(CN_KEY_BACKSPACE): self = .backspace
        case Int(CN_KEY_RESIZE): self = .resize
        case Int(CN_KEY_BACKTAB): self = .backTab
        case Int(CN_KEY_HANGUP): self = .hangup
        case 27: self = .escape
        case 9: self = .tab
        case 3: self = .controlC
        case 21: self = .controlU
        case 32...126: self = .character(Character(Unicode.Scalar(UInt8(code))))
        default: return nil
        }
    }
}
