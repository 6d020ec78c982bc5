import AsyncTopTestSupport
import AsyncTopTrace
import Foundation
import Testing

@Suite struct CrossProcessTests {
    /// A producer here, a reader in another process (`asynctop events FILE --raw`): every event the child
    /// prints is untorn and in order, and it accounts for everything produced.
    @Test func readerInAnotherProcessSeesEveryEventOrCountsIt() throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let region = try Region.publish(
            layout: RegionLayout(ringCount: 2, ringCapacity: 4096, namesCapacity: 4096), directory: directory)
        let path = try #require(region.path)

        let child = try ChildProcess(
            productsDirectory.appendingPathComponent("asynctop").path, ["events", path, "--raw"])

        let tracer = region.makeTracer(loop: 5)
        let produced: UInt64 = 200_000
        for sequence in 0..<produced {
            let time = tracer.now()
            tracer.emit(.mark, at: time, loop: 5, id: sequence, arg: payloadChecksum(sequence: sequence, time: time))
            if sequence % 1000 == 0 { usleep(200) }
        }
        region.close()
        let status = child.wait()
        let text = child.stdout
        let summary = child.stderr
        #expect(status == 0, "\(summary)")

        var delivered: UInt64 = 0
        var next: UInt64 = 0
        var torn = 0
        for line in text.split(separator: "\n") {
            // raw line: ring time kind loop name id arg
            let fields = line.split(separator: " ").compactMap { UInt64($0) }
            guard fields.count == 7 else { continue }
            if fields[6] != payloadChecksum(sequence: fields[5], time: fields[1]) { torn += 1 }
            #expect(fields[5] >= next)
            next = fields[5] + 1
            delivered += 1
        }
        let missed = summary.split(separator: "\n").last.flatMap { line in
            line.split(separator: " ").first { $0.hasPrefix("missed=") }.flatMap { UInt64($0.dropFirst(7)) }
        }
        #expect(torn == 0)
        #expect(delivered > 0)
        let before = summary.split(separator: "\n").last.flatMap { line in
            line.split(separator: " ").first { $0.hasPrefix("before=") }.flatMap { UInt64($0.dropFirst(7)) }
        }
        #expect(delivered + (missed ?? .max) + (before ?? .max) == produced, "summary: \(summary)")
    }
}
