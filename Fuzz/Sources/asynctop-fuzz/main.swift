import AsyncTopTestSupport
import CFuzzerDriver

#if canImport(Glibc)
    import Glibc
#endif

/// The target this run fuzzes (one of `FuzzHarness.targets`), chosen by the first argument before libFuzzer starts.
nonisolated(unsafe) var target = ""

/// libFuzzer's entry point for one input (libFuzzer's runtime refers to it by this name).
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzHarness.run(target, on: UnsafeRawBufferPointer(start: data, count: count))
    return 0
}

// asynctop-fuzz TARGET [libFuzzer's options and corpus directories]
exit(runFuzzer(CommandLine.arguments))

/// Runs libFuzzer on the target the arguments name; the usage and 64 if they name none.
func runFuzzer(_ arguments: [String]) -> Int32 {
    guard arguments.count > 1, FuzzHarness.targets.contains(arguments[1]) else {
        print("usage: asynctop-fuzz \(FuzzHarness.targets.joined(separator: "|")) [libFuzzer options] [corpus...]")
        return 64
    }
    target = arguments[1]
    return asynctop_run_libfuzzer(CommandLine.argc, CommandLine.unsafeArgv)
}
