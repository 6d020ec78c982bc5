import AsyncTopUI
import Testing

/// What a terminal without UTF-8 is sent: ASCII only, one column for one.
@Suite struct TextWidthAsciiTests {
    @Test func asynctopsOwnCharactersBecomeOneASCIICharacterEach() {
        #expect(TextWidth.ascii("p50 12.3µs  ×10  a…") == "p50 12.3us  x10  a.")
        #expect(TextWidth.ascii("ID▲ ⏸ —") == "ID^ = -")
        #expect(TextWidth.ascii("naïve 名前") == "na?ve ??")
        #expect(TextWidth.ascii("plain") == "plain")
    }
}
