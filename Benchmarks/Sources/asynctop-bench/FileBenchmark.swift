import ArgumentParser
import AsyncTopExport
import AsyncTopModel
import AsyncTopTrace
import Foundation

/// `asynctop-bench file`: recording, exporting and replaying a synthetic 10M-event trace shaped like a demo's
/// (two loops: ticks and phases, callbacks enqueued/run, tasks spawned, woken and polled, timers armed and
/// fired, a counter).
///
/// - `record_events_per_s`: `TraceFileWriter` appending 4096-event batches, to the file system.
/// - `bytes_per_event`: file size / events.
/// - `export_chrome_events_per_s`, `export_perfetto_events_per_s`: `TraceExport` from the file.
/// - `replay_seek_ms`: median time to show the state at a random position after another random position
///   (restore a checkpoint, aggregate forward); `replay_open_s` is the one-time first pass that builds the
///   checkpoints.
struct FileBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "file", abstract: "Record, export and replay throughput on a synthetic 10M-event trace.")

    @OptionGroup var options: ReportOptions

    @Option(help: "Events in the synthetic trace.")
    var events = 10_000_000

    @Option(help: "Directory for the files (removed afterwards).")
    var directory = NSTemporaryDirectory()

    func run() throws {
        let base = directory + "/asynctop-bench-\(getpid())"
        defer {
            for suffix in [".atrace", ".json", ".pftrace"] {
                try? FileManager.default.removeItem(atPath: base + suffix)
            }
        }
        let names = SyntheticNames([
            "Server.swift:42", "Database.swift:17", "handle request", "query", "Timer.swift:9", "queue.depth"
        ])
        let info = SourceInfo(
            pid: getpid(), processName: "synthetic", processStartTime: 0, vocabulary: EventKind.vocabularyVersion,
            calibration: ClockCalibration(
                kind: .tsc, nanosecondsPerTick: 1.0 / 2.9, epochTicks: 0, epochMonotonicNanoseconds: 0,
                epochUnixNanoseconds: 0),
            ringCount: 2, ringCapacity: 1 << 16)
        var generator = SyntheticTrace()
        var batches: [EventBatch] = []
        while generator.produced < events { batches.append(generator.batch(size: 4096)) }

        let path = base + ".atrace"
        let writer = try TraceFileWriter(path: path, info: info)
        let recordStart = TraceClock.monotonicNanoseconds()
        for batch in batches { try writer.append(batch, names: names) }
        try writer.finish()
        let recordSeconds = Double(TraceClock.monotonicNanoseconds() - recordStart) / 1e9
        let written = generator.produced
        batches = []
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0

        let reader = try TraceFileReader(path: path)
        func exportRate(_ format: TraceExport.Format, _ output: String) throws -> Double {
            let start = TraceClock.monotonicNanoseconds()
            let result = try TraceExport.run(reader, format: format, to: output)
            return Double(result.events) / (Double(TraceClock.monotonicNanoseconds() - start) / 1e9)
        }
        let chrome = try exportRate(.chrome, base + ".json")
        let perfetto = try exportRate(.perfetto, base + ".pftrace")

        let openStart = TraceClock.monotonicNanoseconds()
        let replay = TraceReplay(reader: reader)
        let openSeconds = Double(TraceClock.monotonicNanoseconds() - openStart) / 1e9
        var random = SystemRandomNumberGenerator()
        var seeks: [Double] = []
        let span = replay.endNanoseconds - replay.startNanoseconds
        for _ in 0..<21 {
            let target = replay.startNanoseconds + UInt64.random(in: 0...span, using: &random)
            let start = TraceClock.monotonicNanoseconds()
            replay.seek(to: target)
            _ = replay.aggregator.state.tasks.count
            seeks.append(Double(TraceClock.monotonicNanoseconds() - start) / 1e6)
        }
        seeks.sort()

        var report = BenchmarkReport(title: "asynctop-bench file  (\(written) synthetic events, demo-shaped, 2 loops)")
        report.add(
            "record_events_per_s", Double(written) / recordSeconds, "events/s", "TraceFileWriter, 4096-event batches")
        report.add("bytes_per_event", Double(size) / Double(written), "bytes", "\(size / 1_000_000) MB file")
        report.add("export_chrome_events_per_s", chrome, "events/s")
        report.add("export_perfetto_events_per_s", perfetto, "events/s")
        report.add(
            "replay_seek_ms", seeks[seeks.count / 2], "ms",
            "median of 21 random seeks; max \(Format.decimal(seeks.last!, digits: 1)) ms")
        report.add(
            "replay_open_s", openSeconds, "s", "first pass: checkpoints every \(TraceReplay.checkpointInterval) chunks")
        report.print(json: options.json)
    }
}

/// Generates demo-shaped traffic on two loops.
struct SyntheticTrace {
    private(set) var produced = 0
    private var time: [UInt64] = [1_000, 1_000]
    private var nextID: UInt64 = 1
    private var task: UInt64 = 0

    mutating func batch(size: Int) -> EventBatch {
        var batch = EventBatch()
        batch.missedByRing = [0, 0]
        batch.rings = [RingIdentity(index: 0, threadID: 100, loop: 1), RingIdentity(index: 1, threadID: 101, loop: 2)]
        for ring in 0..<2 {
            let start = batch.events.count
            let loop = UInt16(ring + 1)
            while batch.events.count - start < size / 2 {
                func emit(_ kind: EventKind, name: UInt32 = 0, id: UInt64 = 0, arg: UInt64 = 0, after ticks: UInt64) {
                    time[ring] += ticks
                    batch.events.append(
                        TraceEvent(
                            time: time[ring], kind: kind, loop: loop, name: NameID(rawValue: name), id: id, arg: arg))
                }
                emit(.tickBegan, arg: 20_000, after: 20_000)
                emit(.phase, id: 1, after: 50)
                emit(.timerFired, id: 7, arg: 300, after: 80)
                emit(.timerArmed, name: 5, id: 7, arg: time[ring] + 2_900_000, after: 40)
                emit(.phase, id: 2, after: 30)
                for _ in 0..<6 {
                    let id = nextID
                    nextID += 1
                    emit(.callbackEnqueued, name: 1, id: id, after: 120)
                    emit(.callbackBegan, name: 1, id: id, arg: 400, after: 200)
                    emit(.callbackEnded, id: id, after: UInt64(900 + id % 700))
                }
                task += 1
                emit(.taskSpawned, name: 3, id: task, arg: task > 1 ? task - 1 : 0, after: 60)
                emit(.taskWoken, id: task, after: 30)
                emit(.taskPollBegan, id: task, arg: 500, after: 300)
                emit(.taskPollEnded, id: task, after: 2_000)
                if task > 3 {
                    emit(.taskWoken, id: task - 3, after: 30)
                    emit(.taskPollBegan, id: task - 3, arg: 200, after: 100)
                    emit(.taskCompleted, id: task - 3, after: 1_500)
                }
                emit(.counter, name: 6, id: 1, arg: task % 50, after: 40)
                emit(.phase, id: 3, after: 30)
                emit(.phase, id: 4, after: 200_000)
                emit(.tickEnded, id: 10, arg: 0, after: 40)
            }
            batch.segments.append(EventBatch.Segment(ring: batch.rings[ring], range: start..<batch.events.count))
        }
        produced += batch.events.count
        return batch
    }
}
