/// Makes bytes from a traced program safe to write to a terminal.
///
/// A traced program chooses its task names, call sites and error texts; any of them could hold an escape
/// sequence that retitles, recolours or rewrites the user's terminal. Every byte string from a trace passes
/// through here before display: invalid UTF-8 becomes U+FFFD, and C0 controls, DEL, C1 controls and the
/// Unicode bidirectional overrides become visible `\xNN` / `\u{NNNN}` escapes. Printable text is unchanged.
public enum TerminalSafeText {
    /// The display form of `bytes`.
    public static func make(_ bytes: some Sequence<UInt8>) -> String {
        make(String(decoding: Array(bytes), as: UTF8.self))
    }

    /// The display form of a string.
    public static func make(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                let escaped =
                    scalar.value < 0x100
                    ? "\\x" + (hex.count < 2 ? "0" + hex : hex)
                    : "\\u{" + hex + "}"
                result.append(contentsOf: escaped.unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: return true
        default: return false
        }
    }
}
