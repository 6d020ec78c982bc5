import AsyncTopModel
import AsyncTopTrace

#if canImport(Glibc)
import Glibc
#endif

/// The processes `asynctop serve` watches: every process of this user that publishes a region in `directory` (or
/// only `pids`), found again every `discover` call, each read through its own `LiveIngest` as often as its rate
/// needs. A process whose producer ended stays for one more scrape (with `asynctop_trace_live` 0, so that its last
/// figures are seen) and is then dropped; one never scraped is dropped a minute after it ended.
///
/// Threading: one thread (serve's loop); debug builds assert it. Cost: `discover` lists the directory and attaches
/// only new files; `ingestDue` reads the processes whose read time came.
public final class WatchedFleet {
    public struct Watched {
        public let ingest: LiveIngest
        public let pid: Int32
        /// When (monotonic nanoseconds) this process is next read.
        var nextReadNanoseconds: UInt64 = 0
        var endedAtNanoseconds: UInt64?
        var scrapedSinceEnd = false
    }

    public let directory: String
    public let pids: Set<Int32>?
    private let thresholds: WarningThresholds
    public private(set) var watched: [Int32: Watched] = [:]
    /// Region files that could not be read, with why, each reported once (until its file changes).
    public private(set) var unreadable: [String: (reason: String, modified: Int)] = [:]
    #if DEBUG
    private var owner: pthread_t?
    #endif

    public init(directory: String, pids: Set<Int32>?, thresholds: WarningThresholds) {
        self.directory = directory
        self.pids = pids
        self.thresholds = thresholds
    }

    private func assertOwner() {
        #if DEBUG
        if owner == nil { owner = pthread_self() }
        assert(pthread_equal(owner!, pthread_self()) != 0, "WatchedFleet is confined to serve's loop thread")
        #endif
    }

    /// Attaches to regions published since the last call; returns the messages for regions that cannot be read
    /// (new ones only).
    public func discover(nowNanoseconds: UInt64) -> [String] {
        assertOwner()
        var messages: [String] = []
        for file in RegionDirectory.regionFiles(directory: directory) where watched[file.pid] == nil {
            if let pids, !pids.contains(file.pid) { continue }
            let modified = Self.modificationTime(file.path)
            if let known = unreadable[file.path], known.modified == modified { continue }
            do {
                let source = try AttachedSource(path: file.path)
                guard source.isProducerAlive else { continue }  // stale: `asynctop list` shows it
                unreadable[file.path] = nil
                let ingest = LiveIngest(source: source, thresholds: thresholds, retentionNanoseconds: 10_000_000_000)
                watched[file.pid] = Watched(ingest: ingest, pid: file.pid, nextReadNanoseconds: nowNanoseconds)
            } catch {
                unreadable[file.path] = (error.description, modified)
                messages.append("cannot read \(file.path): \(error.description)")
            }
        }
        return messages
    }

    /// Reads every process whose read time has come; returns when the next one is due.
    public func ingestDue(nowNanoseconds: UInt64) -> UInt64 {
        assertOwner()
        var next = nowNanoseconds + LiveIngest.readIntervalBounds.upperBound
        for pid in Array(watched.keys) {
            guard var process = watched[pid] else { continue }
            if process.nextReadNanoseconds <= nowNanoseconds, process.endedAtNanoseconds == nil {
                process.ingest.update(wallNanoseconds: nowNanoseconds, advancingClock: false)
                process.nextReadNanoseconds = nowNanoseconds + process.ingest.readIntervalNanoseconds
                if process.ingest.endReason != nil { process.endedAtNanoseconds = nowNanoseconds }
            }
            if process.endedAtNanoseconds == nil { next = min(next, process.nextReadNanoseconds) }
            watched[pid] = process
        }
        dropEnded(nowNanoseconds: nowNanoseconds)
        return next
    }

    /// The processes' current state for a scrape: each read up to now, its clock advanced to now (so a loop blocked
    /// since its last event counts as blocked). Marks ended processes as seen by a scrape.
    public func scrape(nowNanoseconds: UInt64) -> [FleetMetrics.Process] {
        assertOwner()
        var processes: [FleetMetrics.Process] = []
        for pid in watched.keys.sorted() {
            guard var process = watched[pid] else { continue }
            if process.endedAtNanoseconds == nil {
                process.ingest.update(wallNanoseconds: nowNanoseconds, advancingClock: true)
                process.nextReadNanoseconds = nowNanoseconds + process.ingest.readIntervalNanoseconds
                if process.ingest.endReason != nil { process.endedAtNanoseconds = nowNanoseconds }
            }
            if process.endedAtNanoseconds != nil { process.scrapedSinceEnd = true }
            let info = process.ingest.source.info
            processes.append(FleetMetrics.Process(
                pid: pid, name: info.processName, state: process.ingest.state, live: process.endedAtNanoseconds == nil))
            watched[pid] = process
        }
        return processes
    }

    /// Ended processes leave once a scrape has seen them ended, or a minute after they ended.
    private func dropEnded(nowNanoseconds: UInt64) {
        for (pid, process) in watched {
            guard let ended = process.endedAtNanoseconds else { continue }
            if process.scrapedSinceEnd || nowNanoseconds - ended > 60_000_000_000 { watched[pid] = nil }
        }
    }

    private static func modificationTime(_ path: String) -> Int {
        var info = stat()
        return lstat(path, &info) == 0 ? Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec) : 0
    }
}
