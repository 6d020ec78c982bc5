import AsyncTopTestSupport
import CFuzzerDriver

#if canImport(Glibc)
    import Glibc
#endif

/// The target this run fuzzes (one of `FuzzHarness.targets`), chosen by the first argument before libFuzzer starts.
nonisolated(unsafe) var target = ""
/// The environment variable that names the target for `-fork` workers.
let targetVariable = "ASYNCTOP_FUZZ_TARGET"

/// libFuzzer's entry point for one input (libFuzzer's runtime refers to it by this name).
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzHarness.run(target, on: UnsafeRawBufferPointer(start: data, count: count))
    return 0
}

/// Runs libFuzzer on the target the arguments name; the usage and 64 if they name none. The target is also put in
/// the environment (`ASYNCTOP_FUZZ_TARGET`), where the worker processes of `-jobs=N` and `-fork=N` find it:
/// libFuzzer starts them with its own options only.
func runFuzzer(_ arguments: [String]) -> Int32 {
    let inherited = getenv(targetVariable).map { String(cString: $0) }
    if arguments.count > 1, FuzzHarness.targets.contains(arguments[1]) {
        target = arguments[1]
        setenv(targetVariable, target, 1)
        return asynctop_run_libfuzzer(CommandLine.argc, CommandLine.unsafeArgv, true)
    }
    guard let inherited, FuzzHarness.targets.contains(inherited) else {
        print("usage: asynctop-fuzz \(FuzzHarness.targets.joined(separator: "|")) [libFuzzer options] [corpus...]")
        return 64
    }
    target = inherited
    return asynctop_run_libfuzzer(CommandLine.argc, CommandLine.unsafeArgv, false)
}

// asynctop-fuzz TARGET [libFuzzer's options and corpus directories]
exit(runFuzzer(CommandLine.arguments))
