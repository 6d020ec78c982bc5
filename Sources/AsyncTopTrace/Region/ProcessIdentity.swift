import CAsyncTopSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Facts about processes that let a reader tell a live region from a stale one: a region records its
/// producer's pid and start time, and is stale when no process with that pid and start time exists
/// (the pid was reused or is gone).
public enum ProcessIdentity {
    /// This process's name (the executable's file name).
    public static var name: String {
        let args = CommandLine.arguments
        guard let first = args.first else { return "process" }
        return String(first.split(separator: "/").last ?? Substring(first))
    }

    /// The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat), or nil if no such process.
    /// The calling thread's kernel id (what `loopStarted` carries): a cached thread-local after the first call.
    public static var currentThreadID: UInt64 { asynctop_thread_id() }

    public static func startTime(of pid: Int32) -> UInt64? { status(of: pid)?.startTime }

    /// Fields 3 (state letter) and 22 (start time) of `/proc/PID/stat`.
    private static func status(of pid: Int32) -> (state: UInt8, startTime: UInt64)? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let text = buffer[..<count]
        // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
        guard let close = text.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = text[(close + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state), so field 22 is fields[19].
        guard fields.count > 19, let state = fields[0].first,
            let start = UInt64(String(decoding: fields[19], as: UTF8.self))
        else { return nil }
        return (state, start)
    }

    /// True if a process with this pid runs and, when `startTime` is given, started at that time. A zombie (exited,
    /// not yet reaped by its parent) is not alive: its region will never be written again.
    public static func isAlive(pid: Int32, startTime: UInt64?) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) != 0 && errno == ESRCH { return false }
        let status = status(of: pid)
        if let state = status?.state, state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") { return false }
        guard let startTime, startTime != 0 else { return true }
        return status?.startTime == startTime
    }
}
