import AsyncTopTestSupport
import Foundation
import Testing

/// Every input a fuzz target once failed on (`Fuzz/Regressions/<target>/`, one file each, named after what it
/// found) goes through that target's body again: a fixed reader must take it without trapping.
@Suite struct FuzzRegressionTests {
    static let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions")

    @Test(arguments: FuzzHarness.targets)
    func pastFindingsPass(_ target: String) throws {
        let directory = Self.regressions.appendingPathComponent(target)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for file in files.sorted() {
            let input = try Data(contentsOf: directory.appendingPathComponent(file))
            input.withUnsafeBytes { FuzzHarness.run(target, on: $0) }
        }
    }
}
