import AsyncTopConcurrency
import CAsyncTopConcurrencyPreload

#if canImport(Glibc)
    import Glibc
#endif

/// Called by the library's constructor when `asynctop run` preloads it into a program: taps the program's global
/// executor and publishes its region, before its main runs. If the program's Swift runtime is one the tap does
/// not know, it says so and exits with status 2 rather than run the program half-watched.
@_cdecl("asynctop_concurrency_preload_start")
public func asynctopConcurrencyPreloadStart() {
    do {
        let tap = try AsyncTop.traceConcurrency()
        if tap.chainedToAnotherHook {
            say("asynctop: another library set the global-executor hook first; jobs it keeps are not timed\n")
        }
    } catch {
        say("asynctop: \(error)\n")
        _exit(2)
    }
}

/// Writes to standard error (fd 2) directly: the C `stderr` stream is shared mutable state to Swift 6.
private func say(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}
