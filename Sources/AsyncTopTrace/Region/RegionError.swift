/// Everything that can be wrong with a region a reader is handed: each case says what to do.
public enum RegionError: Error, Hashable, Sendable, CustomStringConvertible {
    case notFound(path: String)
    case noRegionForProcess(pid: Int32, directory: String)
    case cannotOpen(path: String, errno: Int32)
    case notARegularFile(path: String)
    case foreignOwner(path: String, uid: UInt32)
    case unsafeDirectory(path: String, reason: String)
    case truncated(size: Int, needed: Int)
    case badMagic
    case unsupportedLayout(UInt32)
    case unsupportedVocabulary(VocabularyVersion)
    case corruptHeader(String)
    case cannotCreate(path: String, errno: Int32)
    case cannotMap(errno: Int32)

    public var description: String {
        switch self {
        case .notFound(let path):
            return "no region file at \(path): is the process running with tracing published?"
        case .noRegionForProcess(let pid, let directory):
            return "process \(pid) publishes no asynctop region in \(directory); run `asynctop list` to see which do"
        case .cannotOpen(let path, let e):
            return "cannot open \(path): \(errnoText(e))"
        case .notARegularFile(let path):
            return "\(path) is not a regular file, so it is not an asynctop region"
        case .foreignOwner(let path, let uid):
            return "\(path) belongs to uid \(uid), not to you; asynctop only reads your own processes' regions"
        case .unsafeDirectory(let path, let reason):
            return "refusing to use \(path): \(reason); remove it or set XDG_RUNTIME_DIR"
        case .truncated(let size, let needed):
            return "region is truncated: \(size) bytes where the header needs \(needed)"
        case .badMagic:
            return "not an asynctop region (wrong magic number)"
        case .unsupportedLayout(let v):
            return
                "region layout version \(v) is not supported by this asynctop (it reads version "
                + "\(RegionLayout.layoutVersion)); use a matching asynctop"
        case .unsupportedVocabulary(let v):
            return
                "event vocabulary \(v) is not supported by this asynctop (it reads "
                + "\(EventKind.vocabularyVersion.major).x); use a matching asynctop"
        case .corruptHeader(let what):
            return "region header is corrupt: \(what)"
        case .cannotCreate(let path, let e):
            return "cannot create region file \(path): \(errnoText(e))"
        case .cannotMap(let e):
            return "cannot map the region: \(errnoText(e))"
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
