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
    /// One watched process (a class: updated in place on every read).
    public final class Watched {
        public let ingest: LiveIngest
        public let pid: Int32
        /// When (monotonic nanoseconds) this process is next read.
        var nextReadNanoseconds: UInt64
        var endedAtNanoseconds: UInt64?
        var scrapedSinceEnd = false

        init(ingest: LiveIngest, pid: Int32, nextReadNanoseconds: UInt64) {
            self.ingest = ingest
            self.pid = pid
            self.nextReadNanoseconds = nextReadNanoseconds
        }

        /// Reads what is new (advancing the clock to now for a scrape); notes when the producer ended.
        func read(nowNanoseconds: UInt64, advancingClock: Bool) {
            ingest.update(wallNanoseconds: nowNanoseconds, advancingClock: advancingClock)
            nextReadNanoseconds = nowNanoseconds + ingest.readIntervalNanoseconds
            if ingest.endReason != nil { endedAtNanoseconds = nowNanoseconds }
        }
    }

    public let directory: String
    public let pids: Set<Int32>?
    private let thresholds: WarningThresholds
    public private(set) var watched: [Int32: Watched] = [:]
    /// Region files that could not be read, with why, each reported once (until its file changes).
    public private(set) var unreadable: [String: (reason: String, modified: Int)] = [:]
    /// Why the directory itself cannot be used, reported once until it changes.
    private var directoryProblem: String?
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
        let files: [(pid: Int32, path: String)]
        do {
            files = try RegionDirectory.regionFiles(directory: directory)
        } catch {
            let message = error.description
            guard directoryProblem != message else { return [] }
            directoryProblem = message
            return [message]
        }
        directoryProblem = nil
        for file in files where watched[file.pid] == nil {
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
        var next = nowNanoseconds + PacedReader.readIntervalBounds.upperBound
        var anyEnded = false
        for process in watched.values {
            if process.nextReadNanoseconds <= nowNanoseconds, process.endedAtNanoseconds == nil {
                process.read(nowNanoseconds: nowNanoseconds, advancingClock: false)
            }
            if process.endedAtNanoseconds == nil {
                next = min(next, process.nextReadNanoseconds)
            } else {
                anyEnded = true
            }
        }
        if anyEnded { dropEnded(nowNanoseconds: nowNanoseconds) }
        return next
    }

    /// The processes' current state for a scrape: each read up to now, its clock advanced to now (so a loop blocked
    /// since its last event counts as blocked). Marks ended processes as seen by a scrape.
    public func scrape(nowNanoseconds: UInt64) -> [FleetMetrics.Process] {
        assertOwner()
        var processes: [FleetMetrics.Process] = []
        for process in watched.values.sorted(by: { $0.pid < $1.pid }) {
            if process.endedAtNanoseconds == nil { process.read(nowNanoseconds: nowNanoseconds, advancingClock: true) }
            if process.endedAtNanoseconds != nil { process.scrapedSinceEnd = true }
            processes.append(
                FleetMetrics.Process(
                    pid: process.pid, name: process.ingest.source.info.processName, state: process.ingest.state,
                    live: process.endedAtNanoseconds == nil))
        }
        return processes
    }

    /// Ended processes leave once a scrape has seen them ended, or a minute after they ended.
    private func dropEnded(nowNanoseconds: UInt64) {
        watched = watched.filter { _, process in
            guard let ended = process.endedAtNanoseconds else { return true }
            return !process.scrapedSinceEnd && nowNanoseconds - ended <= 60_000_000_000
        }
    }

    private static func modificationTime(_ path: String) -> Int {
        var info = stat()
        return lstat(path, &info) == 0 ? Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec) : 0
    }
}
