import AsyncTopTrace
import CAsyncTopConcurrency
import Dispatch
// The capture goes through the backtracer's checked memory reader (SPI): a creating thread's stack can hold a
// frame or async-context link that points nowhere (seen: the default reader crashed following one), and a
// checked read turns that into a shorter backtrace instead of a crash in the traced program.
@_spi(Contexts) @_spi(MemoryReaders) @_spi(Internal) import Runtime
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Names the code that creates tasks, off the creating thread.
///
/// The tap keys a creating call path by a hash of its return addresses. The first creation on a new path
/// captures the stack there (a frame-pointer walk, microseconds) and hands it to this resolver's thread, which
/// symbolicates it with the Swift runtime's own symbolicator (`Runtime`: symbol tables and DWARF; milliseconds,
/// hundreds the first time a large binary is read), interns the name, caches it for the tap and writes the
/// `task_location` of every task created on that path meanwhile. A creation never waits for it.
///
/// The name is the innermost frame that is neither the tap, the Swift runtime nor standard-library code inlined
/// into the caller (`addTask`'s and `Task.init`'s closures): `file:line` where the binary has line information,
/// else the function's name.
///
/// What each return address means is kept (`FrameMeaning`, resolver thread only): symbolicating reads the binary's
/// DWARF again each time (half a second of a core for a 40 MB server binary), and one creating site reaches the
/// tap by many paths that differ only far up the stack (which dispatch or NIO thread ran it), so a new path is
/// nearly always named from addresses already known, without symbolicating.
final class SpawnSites: Sendable {
    private struct Path {
        var backtrace: Backtrace?
        var waitingTasks: [UInt64]
    }
    private struct State {
        var names: NameTable
        var named: [UInt64: UInt32] = [:]
        var pending: [UInt64: Path] = [:]
        var queue: [UInt64] = []
    }
    private let state: Mutex<State>
    private let work = DispatchSemaphore(value: 0)

    /// Starts the resolver's thread (a plain pthread: the tap keeps Foundation out of the programs it is put in).
    init(names: NameTable) {
        state = Mutex(State(names: names))
        var thread = pthread_t()
        let started = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<SpawnSites>.fromOpaque(context!).takeUnretainedValue().resolveForever()
                return nil
            }, Unmanaged.passRetained(self).toOpaque())
        if started == 0 { pthread_detach(thread) }
    }

    /// Names paths into another region's name table from now on (the tap keys paths by region, so ids never
    /// mix); paths waiting to be named are dropped.
    func switchNames(to names: NameTable) {
        state.withLock { $0 = State(names: names) }
    }

    /// Called by the tap inside a task creation whose path it has not cached: the path's name id if known, else
    /// 0 (the task's location is written when the path is named).
    func name(ofPath key: UInt64, task: UInt64) -> UInt32 {
        let known: UInt32? = state.withLock { state in
            if let name = state.named[key] { return name }
            if state.pending[key] != nil {
                state.pending[key]!.waitingTasks.append(task)
                return 0
            }
            state.pending[key] = Path(backtrace: nil, waitingTasks: [task])
            return nil
        }
        if let known { return known }
        // First on this path: the stack is only here, so it is captured now; naming it waits for the resolver.
        let backtrace = try? HostContext.withCurrentContext { context in
            try Backtrace.capture(
                from: context, using: LocalMemoryReader(), images: nil, algorithm: .fast, limit: 32, top: 0)
        }
        state.withLock { state in
            state.pending[key]?.backtrace = backtrace
            state.queue.append(key)
        }
        work.signal()
        return 0
    }

    /// Waits until every path waiting to be named is named, or `timeout` seconds pass: at exit, so that the
    /// locations of a short program's first tasks are written before it ends.
    func flush(timeout: Double) {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9)
        while state.withLock({ !$0.pending.isEmpty }), DispatchTime.now().uptimeNanoseconds < deadline {
            usleep(2_000)
        }
    }

    private func resolveForever() {
        while true {
            work.wait()
            guard
                let (key, backtrace, names) = state.withLock({ state -> (UInt64, Backtrace?, NameTable)? in
                    guard !state.queue.isEmpty else { return nil }
                    let key = state.queue.removeFirst()
                    return (key, state.pending[key]?.backtrace, state.names)
                })
            else { continue }
            let name = names.intern(backtrace.map(describe) ?? "").rawValue
            let waiting = state.withLock { state -> [UInt64] in
                guard state.names === names else { return [] }  // the region changed meanwhile
                state.named[key] = name
                asynctop_tap_cache_site(key, name)
                return state.pending.removeValue(forKey: key)?.waitingTasks ?? []
            }
            if name != 0 { for task in waiting { asynctop_tap_emit_location(task, name) } }
        }
    }

    /// What a return address tells about the creating code: nothing (the tap, the runtime, the standard library),
    /// its source location, or only its function's name.
    private enum FrameMeaning {
        case machinery
        case located(String)
        case unlocated(String)
    }

    /// Meanings by address, filled by symbolicating; touched by the resolver thread only.
    nonisolated(unsafe) private var meanings: [Backtrace.Address: FrameMeaning] = [:]

    /// The name of a creating path: from known addresses if its frames up to the naming one are known, else by
    /// symbolicating it, which makes its addresses known.
    private func describe(_ backtrace: Backtrace) -> String {
        if let known = Self.name(backtrace, meanings) { return known }
        guard
            let symbolicated = backtrace.symbolicated(options: [
                .showSourceLocations, .showInlineFrames, .useSymbolCache
            ])
        else { return "" }
        // An address's frames, innermost (inlined) first: it means what its first frame that is not machinery says.
        var decided: Set<Backtrace.Address> = []
        for frame in symbolicated.frames {
            let address = frame.captured.adjustedProgramCounter
            guard !decided.contains(address) else { continue }
            guard let symbol = frame.symbol, !Self.isMachinery(symbol) else {
                if meanings[address] == nil { meanings[address] = .machinery }
                continue
            }
            decided.insert(address)
            if let location = symbol.sourceLocation, location.line > 0, !location.path.contains("/stdlib/public/") {
                let file = location.path.split(separator: "/").last.map(String.init) ?? location.path
                meanings[address] = .located("\(file):\(location.line)")
            } else {
                meanings[address] = .unlocated(symbol.sourceLocation == nil ? symbol.name : "")
            }
        }
        return Self.name(backtrace, meanings) ?? ""
    }

    /// The name from known meanings: the first located address, else the first unlocated function's name; nil when
    /// an address before it is unknown.
    private static func name(_ backtrace: Backtrace, _ meanings: [Backtrace.Address: FrameMeaning]) -> String? {
        var fallback: String?
        for frame in backtrace.frames {
            switch meanings[frame.adjustedProgramCounter] {
            case nil: return nil
            case .machinery: continue
            case .located(let name): return name
            case .unlocated(let name): if fallback == nil, !name.isEmpty { fallback = name }
            }
        }
        return fallback ?? ""
    }

    /// Frames between the creating code and the tap: the tap itself, the runtime, the standard library.
    private static func isMachinery(_ symbol: SymbolicatedBacktrace.Symbol) -> Bool {
        let image = symbol.imageName
        if image.hasPrefix("libswift") || image.hasPrefix("libdispatch") { return true }
        let name = symbol.name
        return name.hasPrefix("swift_task_create") || name.contains("SpawnSites") || name.contains("TapThreads")
            || name.hasPrefix("closure #1 in TaskGroup") || name.hasPrefix("closure #1 in ThrowingTaskGroup")
            || name.hasPrefix("closure #1 in DiscardingTaskGroup")
            || name.hasPrefix("closure #1 in ThrowingDiscardingTaskGroup")
            || name.hasPrefix("closure #1 in static Task") || name.hasPrefix("closure #1 in Task")
    }
}
