import AsyncTopTestSupport
import AsyncTopTrace
import Foundation
import Testing

@Suite struct RegionFileTests {
    let smallLayout = RegionLayout(ringCount: 4, ringCapacity: 256, namesCapacity: 4096)

    @Test func publishedRegionIsPrivateAttachableAndRemovedOnClose() throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let region = try Region.publish(layout: smallLayout, processName: "unit-test", directory: directory)
        let path = try #require(region.path)
        #expect(path == RegionDirectory.path(forPID: getpid(), directory: directory))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let tracer = region.makeTracer(loop: 9)
        let name = region.names.intern("job")
        tracer.emit(.taskSpawned, loop: 9, name: name, id: 1)
        let attached = try AttachedSource(pid: getpid(), directory: directory)
        #expect(attached.info.processName == "unit-test")
        #expect(attached.info.pid == getpid())
        #expect(attached.info.calibration == region.calibration)
        #expect(attached.isProducerAlive)
        var batch = EventBatch()
        #expect(attached.read(into: &batch, limit: .max) == .live)
        #expect(batch.events.map(\.id) == [1])
        #expect(attached.names.string(for: name) == "job")
        #expect(batch.rings.first?.loop == 9)

        let listed = try RegionDirectory.list(directory: directory)
        #expect(listed.map(\.pid) == [getpid()] && listed.first?.isStale == false)

        region.close()
        #expect(!FileManager.default.fileExists(atPath: path))
        // The mapping stays readable: the last state is still there, and the source reports the end.
        if case .live = attached.read(into: &batch, limit: .max) { Issue.record("closed region still live") }
    }

    @Test func aChunkedReaderGetsEveryEventBeforeTheEnd() throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let region = try Region.publish(
            layout: RegionLayout(ringCount: 1, ringCapacity: 1_024, namesCapacity: 4096), directory: directory)
        let tracer = region.makeTracer(loop: 2)
        for id in 1...600 as ClosedRange<UInt64> { tracer.emit(.mark, loop: 2, id: id) }
        let attached = try AttachedSource(pid: getpid(), directory: directory)
        region.close()
        var batch = EventBatch()
        var statuses: [SourceStatus] = []
        var ids: [UInt64] = []
        repeat {
            batch.removeAll()
            statuses.append(attached.read(into: &batch, limit: 256))
            ids += batch.events.map(\.id)
        } while statuses.last == .live && statuses.count < 10
        // Full chunks do not ask after the producer; the short one finds it gone.
        #expect(statuses == [.live, .live, .ended(reason: "process \(getpid()) closed its region")])
        #expect(ids == Array(1...600))
    }

    @Test func aRegionWhoseProcessIsGoneIsStale() throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let region = try Region.publish(layout: smallLayout, directory: directory)
        let path = try #require(region.path)
        // Forge a copy under a pid that no longer exists, as a crashed producer would leave behind.
        let child = try ChildProcess("/bin/true", [])
        child.wait()
        let deadPID = child.pid
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt32(bitPattern: deadPID), toByteOffset: 16, as: UInt32.self)
        }
        let stalePath = RegionDirectory.path(forPID: deadPID, directory: directory)
        _ = FileManager.default.createFile(atPath: stalePath, contents: bytes, attributes: [.posixPermissions: 0o600])
        let stale = try AttachedSource(path: stalePath)
        #expect(!stale.isProducerAlive)
        var batch = EventBatch()
        #expect(stale.read(into: &batch, limit: .max) == .ended(reason: "process \(deadPID) has exited"))
        let listed = try RegionDirectory.list(directory: directory)
        #expect(listed.count == 2)
        #expect(listed.first?.pid == getpid() && listed.first?.isStale == false)
        #expect(listed.last?.isStale == true)
        // `asynctop list --clean`: the stale file goes, the live one stays.
        #expect(try RegionDirectory.removeStale(directory: directory).map(\.path) == [stalePath])
        #expect(try RegionDirectory.list(directory: directory).map(\.pid) == [getpid()])
        region.close()
    }

    /// A directory someone else could put region files in is refused when reading too, not only when publishing:
    /// one others can open, a symbolic link to a private one, one of another user.
    @Test func aDirectoryThatIsNotThisUsersAloneIsRefused() throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let region = try Region.publish(layout: smallLayout, directory: directory)
        defer { region.close() }
        #expect(chmod(directory, 0o755) == 0)
        let open = RegionError.unsafeDirectory(path: directory, reason: "others can access it (mode 755)")
        #expect(throws: open) { try RegionDirectory.list(directory: directory) }
        #expect(throws: open) { try AttachedSource(pid: getpid(), directory: directory) }
        #expect(chmod(directory, 0o700) == 0)
        #expect(try RegionDirectory.list(directory: directory).count == 1)

        let link = directory + ".link"
        #expect(symlink(directory, link) == 0)
        defer { unlink(link) }
        let linked = RegionError.unsafeDirectory(path: link, reason: "it is a symbolic link")
        #expect(throws: linked) { try RegionDirectory.regionFiles(directory: link) }
        #expect(throws: linked) { try AttachedSource(pid: getpid(), directory: link) }

        guard getuid() == 0 else { return }  // only root can give a directory away
        #expect(chown(directory, 65534, 65534) == 0)
        #expect(throws: RegionError.unsafeDirectory(path: directory, reason: "it belongs to uid 65534")) {
            try RegionDirectory.list(directory: directory)
        }
        #expect(chown(directory, 0, 0) == 0)
    }

    @Test func missingProcessAndMissingFileGiveClearErrors() {
        #expect(throws: RegionError.noRegionForProcess(pid: 999_999, directory: "/nonexistent")) {
            try AttachedSource(pid: 999_999, directory: "/nonexistent")
        }
        #expect(throws: RegionError.notFound(path: "/nonexistent/x.region")) {
            try AttachedSource(path: "/nonexistent/x.region")
        }
    }

    /// Every hostile file either gives a typed error or, if its header happens to be valid, reads safely.
    @Test func hostileRegionFilesNeverCrash() throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let region = try Region.publish(layout: smallLayout, directory: directory)
        let tracer = region.makeTracer(loop: 0)
        for i in 0..<300 as Range<UInt64> { tracer.emit(.mark, loop: 0, name: region.names.intern("n\(i % 7)"), id: i) }
        let valid = try Data(contentsOf: URL(fileURLWithPath: try #require(region.path)))
        region.close()
        let target = directory + "/hostile.region"

        func attempt(_ bytes: Data) -> Result<Int, RegionError> {
            _ = FileManager.default.createFile(atPath: target, contents: bytes, attributes: [.posixPermissions: 0o600])
            do {
                let source = try AttachedSource(path: target)
                var batch = EventBatch()
                _ = source.read(into: &batch, limit: .max)
                for event in batch.events { _ = source.names.bytes(for: event.name) }
                for raw in [1, 2, 1000, UInt32.max] { _ = source.names.bytes(for: NameID(rawValue: raw)) }
                return .success(batch.events.count)
            } catch {
                return .failure(error)
            }
        }

        #expect(throws: RegionError.self) { try attempt(Data()).get() }
        #expect(throws: RegionError.self) { try attempt(Data(repeating: 0xAB, count: 100)).get() }
        var generator = SystemRandomNumberGenerator()
        #expect(throws: RegionError.self) {
            try attempt(Data((0..<valid.count).map { _ in UInt8.random(in: 0...255, using: &generator) })).get()
        }
        #expect(throws: RegionError.truncated(size: valid.count - 1, needed: valid.count)) {
            try attempt(valid.prefix(valid.count - 1)).get()
        }
        var wrongMagic = valid
        wrongMagic[0] ^= 0xFF
        #expect(throws: RegionError.badMagic) { try attempt(wrongMagic).get() }
        var futureLayout = valid
        futureLayout[8] = 99
        #expect(throws: RegionError.unsupportedLayout(99)) { try attempt(futureLayout).get() }
        var futureVocabulary = valid
        futureVocabulary[15] = 0x7F
        #expect(throws: RegionError.self) { try attempt(futureVocabulary).get() }
        var hugeRings = valid
        hugeRings.withUnsafeMutableBytes { $0.storeBytes(of: UInt32.max, toByteOffset: 36, as: UInt32.self) }
        #expect(throws: RegionError.self) { try attempt(hugeRings).get() }
        // 300 into 256 slots, read by a reader that came after: from the oldest slot held, plus an eighth of a ring
        // the producer may overwrite meanwhile (what came before is counted apart, not missed).
        #expect(try attempt(valid).get() == 255 - 32)

        // Random corruption of the header, ring heads and name arena: anything may happen but a crash.
        let layout = smallLayout
        let interesting = [
            0..<256, layout.ringsOffset..<(layout.ringsOffset + 128), layout.namesOffset..<(layout.namesOffset + 256)
        ]
        for round in 0..<400 {
            var bytes = valid
            for _ in 0..<(1 + round % 4) {
                let range = interesting[Int.random(in: 0..<interesting.count, using: &generator)]
                bytes[Int.random(in: range, using: &generator)] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            }
            if round % 10 == 0 { bytes = bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)) }
            _ = attempt(bytes)
        }

        // Claimed rings and arena length far beyond the pool and arena: clamped, not followed.
        var hugeCounts = valid
        hugeCounts.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt64.max, toByteOffset: 128, as: UInt64.self)
            $0.storeBytes(of: UInt64.max, toByteOffset: 136, as: UInt64.self)
            $0.storeBytes(of: UInt64.max, toByteOffset: layout.ringsOffset, as: UInt64.self)
        }
        _ = attempt(hugeCounts)
    }

    @Test func aRegionOwnedByAnotherUserIsRefused() throws {
        guard getuid() == 0 else { return }  // only root can give a file away
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let region = try Region.publish(layout: smallLayout, directory: directory)
        let path = try #require(region.path)
        #expect(chown(path, 65534, 65534) == 0)
        #expect(throws: RegionError.foreignOwner(path: path, uid: 65534)) { try AttachedSource(path: path) }
        region.close()
    }

    @Test func tscCalibrationAgreesWithMonotonicClock() throws {
        let calibration = TraceClock.calibration
        let startTicks = TraceClock.now()
        let startNanoseconds = TraceClock.monotonicNanoseconds()
        usleep(1_000_000)
        let ticks = TraceClock.now() - startTicks
        let nanoseconds = TraceClock.monotonicNanoseconds() - startNanoseconds
        let error = abs(Double(calibration.nanoseconds(ticks)) - Double(nanoseconds)) / Double(nanoseconds)
        #expect(error < 0.001, "\(calibration.kind) clock off by \(error * 100)%")
    }
}
