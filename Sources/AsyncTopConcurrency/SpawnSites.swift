import Runtime

/// Names the code creating a task: the innermost frame of the creating stack that is neither the tap, the Swift
/// runtime nor standard-library code inlined into the caller (`addTask`'s and `Task.init`'s closures), as
/// `file:line` where the binary has line information, else as the function's name.
///
/// Called from inside the creation, once per distinct creating call path (the tap caches the name id by a hash
/// of the path's return addresses). It captures and symbolicates the stack with the Swift runtime's own
/// symbolicator (`Runtime`, which reads symbol tables and DWARF): milliseconds the first time a binary is read,
/// less after (its symbol cache), so it stays off the hot path.
enum SpawnSites {
    static func describeCaller() -> String {
        guard let backtrace = try? Backtrace.capture(limit: 32),
            let symbolicated = backtrace.symbolicated(options: [.showSourceLocations, .showInlineFrames, .useSymbolCache])
        else { return "" }
        var fallback: String?
        for frame in symbolicated.frames {
            guard let symbol = frame.symbol, !isMachinery(symbol) else { continue }
            if let location = symbol.sourceLocation, location.line > 0, !location.path.contains("/stdlib/public/") {
                let file = location.path.split(separator: "/").last.map(String.init) ?? location.path
                return "\(file):\(location.line)"
            }
            if fallback == nil, symbol.sourceLocation == nil { fallback = symbol.name }
        }
        return fallback ?? ""
    }

    /// Frames between the creating code and the tap: the tap itself, the runtime, the standard library.
    private static func isMachinery(_ symbol: SymbolicatedBacktrace.Symbol) -> Bool {
        let image = symbol.imageName
        if image.hasPrefix("libswift") || image.hasPrefix("libdispatch") { return true }
        let name = symbol.name
        return name.hasPrefix("swift_task_create") || name.contains("SpawnSites") || name.contains("TapThreads")
            || name.hasPrefix("cached") || name.hasPrefix("intern_site_miss") || name.hasPrefix("closure #1 in TaskGroup")
            || name.hasPrefix("closure #1 in ThrowingTaskGroup") || name.hasPrefix("closure #1 in static Task")
            || name.hasPrefix("closure #1 in Task") || name.hasPrefix("closure #1 in DiscardingTaskGroup")
            || name.hasPrefix("closure #1 in ThrowingDiscardingTaskGroup")
    }
}
