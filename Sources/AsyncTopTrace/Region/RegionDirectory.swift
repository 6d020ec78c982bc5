#if canImport(Glibc)
    import Glibc
#endif

/// Where published regions live — `$XDG_RUNTIME_DIR/asynctop/`, else `/dev/shm/asynctop-$UID/`, else
/// `/tmp/asynctop-$UID/` — and which of
/// them are live. The directory must be ours and 0700; anything else is refused, since a directory another
/// user controls could feed us files.
public enum RegionDirectory {
    /// The directory this user's regions go in: memory, not disk, where the system has it. A region is a shared
    /// file mapping its producer writes all the time; on a disk-backed `/tmp` the kernel writes its dirty pages
    /// back (a traced server under load dirtied 16.8 MB in 8 s there), so `/dev/shm` (tmpfs) comes before it.
    public static var defaultPath: String {
        if let runtime = getenv("XDG_RUNTIME_DIR"), runtime.pointee != 0 {
            return String(cString: runtime) + "/asynctop"
        }
        var info = stat()
        if stat("/dev/shm", &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            return "/dev/shm/asynctop-\(getuid())"
        }
        return "/tmp/asynctop-\(getuid())"
    }

    static func fileName(pid: Int32) -> String { "\(pid).region" }

    /// The region file a process would publish.
    public static func path(forPID pid: Int32, directory: String = defaultPath) -> String {
        directory + "/" + fileName(pid: pid)
    }

    /// Creates the default directory (0700) if needed and checks it is ours and private.
    static func ensureDefault() throws(RegionError) -> String {
        let path = defaultPath
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw .cannotCreate(path: path, errno: errno) }
        try checkPrivate(path)
        return path
    }

    /// `checkPrivate`, where a missing directory is fine (no region published yet).
    static func checkPrivateIfPresent(_ path: String) throws(RegionError) {
        var info = stat()
        guard lstat(path, &info) == 0 || errno != ENOENT else { return }
        try checkPrivate(path)
    }

    static func checkPrivate(_ path: String) throws(RegionError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw .cannotOpen(path: path, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            let what = info.st_mode & S_IFMT == S_IFLNK ? "a symbolic link" : "not a directory"
            throw .unsafeDirectory(path: path, reason: "it is \(what)")
        }
        guard info.st_uid == getuid() else {
            throw .unsafeDirectory(path: path, reason: "it belongs to uid \(info.st_uid)")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw .unsafeDirectory(
                path: path, reason: "others can access it (mode \(String(info.st_mode & 0o777, radix: 8)))")
        }
    }

    /// A region file found in the directory.
    public struct Entry: Hashable, Sendable {
        public var pid: Int32
        public var path: String
        public var processName: String
        /// True when the process that published it is gone (or its pid now names another process).
        public var isStale: Bool
    }

    /// The region files in `directory`, live ones first. Files that are not regions are skipped. Throws if the
    /// directory is not this user's alone (see `regionFiles`).
    public static func list(directory: String = defaultPath) throws(RegionError) -> [Entry] {
        let entries = try regionFiles(directory: directory).compactMap { file -> Entry? in
            guard let source = try? AttachedSource(path: file.path) else { return nil }
            return Entry(
                pid: file.pid, path: file.path, processName: source.info.processName, isStale: !source.isProducerAlive)
        }
        return entries.sorted { ($0.isStale ? 1 : 0, $0.pid) < ($1.isStale ? 1 : 0, $1.pid) }
    }

    /// Removes the files of `directory`'s stale regions (their process is gone) and returns what it removed.
    public static func removeStale(directory: String = defaultPath) throws(RegionError) -> [Entry] {
        var removed: [Entry] = []
        for entry in try list(directory: directory) where entry.isStale {
            if unlink(entry.path) == 0 { removed.append(entry) }
        }
        return removed
    }

    /// The files in `directory` named as regions (`PID.region`), unopened: cheap enough to poll for new ones. None
    /// if the directory does not exist; refused (`unsafeDirectory`) if it is not a directory of this user's that
    /// only this user can open, or is a symbolic link: another user could put files there to be read.
    public static func regionFiles(directory: String = defaultPath) throws(RegionError) -> [(pid: Int32, path: String)]
    {
        try checkPrivateIfPresent(directory)
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var files: [(pid: Int32, path: String)] = []
        while let item = readdir(dir) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasSuffix(".region"), let pid = Int32(name.dropLast(".region".count)) else { continue }
            files.append((pid, directory + "/" + name))
        }
        return files
    }
}
