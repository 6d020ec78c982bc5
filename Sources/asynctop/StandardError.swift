#if canImport(Glibc)
    import Glibc
#endif

/// Writes a line to standard error, unbuffered (progress lines and summaries go there, data to stdout).
func printToStandardError(_ line: String, newline: Bool = true) {
    var text = line
    if newline, !text.hasSuffix("\n") { text += "\n" }
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}
