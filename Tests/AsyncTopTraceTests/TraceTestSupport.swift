import AsyncTopTrace
import Foundation

/// A checksum over an event's payload, so a reader can prove it received an untorn event.
func payloadChecksum(sequence: UInt64, time: UInt64) -> UInt64 {
    var x = sequence &* 0x9E37_79B9_7F4A_7C15 ^ time
    x ^= x >> 31
    x = x &* 0xBF58_476D_1CE4_E5B9
    return x ^ (x >> 29)
}

/// The directory holding the built products (the test bundle sits beside the `asynctop` executable).
var productsDirectory: URL {
    URL(
        fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
    )
    .deletingLastPathComponent()
}
