import AsyncTopDemos
import AsyncTopModel
import AsyncTopTrace
import Foundation
import Testing

/// A replay shows at time t the state the live monitor had at t.
@Suite(.serialized) struct ReplayTests {
    @Test func replayAtTimeTEqualsTheLiveState() throws {
        let path = NSTemporaryDirectory() + "replay-\(UUID().uuidString).atrace"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let running = try RunningDemo(.errorsAndCancellation)
        let source = InProcessSource(region: running.region)
        let writer = try TraceFileWriter(path: path, info: source.info)
        var live = Aggregator(calibration: source.info.calibration)
        var snapshots: [RuntimeState] = []
        var batch = EventBatch()
        let end = Date().addingTimeInterval(5)
        while Date() < end {
            batch.removeAll()
            _ = source.read(into: &batch, limit: .max)
            // The recorder and the monitor see the same batches.
            try writer.append(batch, names: source.names)
            live.ingest(batch, names: source.names)
            if !batch.events.isEmpty, snapshots.count < 40 { snapshots.append(live.state) }
            usleep(100_000)
        }
        running.stop()
        try writer.finish()

        let replay = TraceReplay(reader: try TraceFileReader(path: path))
        #expect(replay.problems.isEmpty)
        #expect(snapshots.count >= 5)
        // Seek to each live moment, in random order (backwards and forwards).
        for snapshot in snapshots.shuffled() {
            replay.seek(to: snapshot.nowNanoseconds)
            let replayed = replay.aggregator.state
            #expect(replayed.totals.events == snapshot.totals.events)
            #expect(replayed.totals.tasksSpawned == snapshot.totals.tasksSpawned)
            #expect(replayed.totals.tasksFailed == snapshot.totals.tasksFailed)
            #expect(replayed.totals.tasksCancelled == snapshot.totals.tasksCancelled)
            #expect(replayed.totals.callbacks == snapshot.totals.callbacks)
            func byID<Value: Equatable>(_ state: RuntimeState, _ value: (TaskState) -> Value) -> [UInt64: Value] {
                Dictionary(uniqueKeysWithValues: state.tasks.values.map { ($0.id, value($0)) })
            }
            #expect(Set(replayed.tasks.values.map(\.id)) == Set(snapshot.tasks.values.map(\.id)))
            #expect(byID(replayed, \.state) == byID(snapshot, \.state))
            #expect(byID(replayed, \.polls) == byID(snapshot, \.polls))
            func countsBySite(_ state: RuntimeState) -> [String: UInt64] {
                Dictionary(state.callSites.map { ($0.site, $0.count) }, uniquingKeysWith: +)
            }
            #expect(countsBySite(replayed) == countsBySite(snapshot))
            #expect(
                replayed.warnings.filter { $0.kind == .unhandledFailure }
                    == snapshot.warnings.filter { $0.kind == .unhandledFailure })
        }
    }
}
