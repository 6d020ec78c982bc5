import AsyncTopTestSupport
import CFuzzerDriver

#if canImport(Glibc)
    import Glibc
#endif

/// The body this run fuzzes, chosen by the first argument; set once, before libFuzzer starts.
nonisolated(unsafe) var body: (UnsafeRawBufferPointer) -> Void = { _ in }

/// libFuzzer's entry point for one input (libFuzzer's runtime refers to it by this name).
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    body(UnsafeRawBufferPointer(start: data, count: count))
    return 0
}

// asynctop-fuzz TARGET [libFuzzer's options and corpus directories]
guard CommandLine.argc >= 2, let chosen = FuzzHarness.body(of: CommandLine.arguments[1]) else {
    fputs(
        "usage: asynctop-fuzz \(FuzzHarness.targets.joined(separator: "|")) [libFuzzer options] [corpus...]\n", stderr)
    exit(64)
}
body = chosen
// libFuzzer reads its options from what follows the target's name, which takes the program's name's place.
let arguments = CommandLine.unsafeArgv
arguments[1] = arguments[0]
exit(asynctop_fuzz_main(CommandLine.argc - 1, arguments + 1, testOneInput))
