import AsyncTopTestSupport
import CFuzzerDriver

#if canImport(Glibc)
    import Glibc
#endif

/// libFuzzer's entry point for one input (libFuzzer's runtime refers to it by this name).
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzHarness.names(UnsafeRawBufferPointer(start: data, count: count))
    return 0
}

// libFuzzer, with its options from the command line.
exit(asynctop_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv, testOneInput))
