import AsyncTopTrace
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Real files made once per fuzz process by asynctop's own writers, which the structured targets change: a region
/// (`Region.publish`, small) with named events on two rings, and a `.atrace` header.
public enum Templates {
    /// Two rings of 64 events and 4 KiB of names: a region whose every part a fuzz input of a few KiB can reach.
    public static let regionLayout = RegionLayout(ringCount: 2, ringCapacity: 64, namesCapacity: 4096)

    /// A published region file's bytes, from this process (so its producer is alive): events on two rings and
    /// three names.
    public static let region: [UInt8] = {
        let scratch = ScratchFile(named: "template")
        let directory = String(scratch.path.dropLast("/template".count))
        do {
            let region = try Region.publish(layout: regionLayout, processName: "fuzz", directory: directory)
            for (ring, name) in ["Server.swift:42", "Timer.swift:9"].enumerated() {
                let tracer = region.makeTracer(loop: UInt16(ring + 1))
                let id = region.names.intern(name)
                for index in 0..<40 as Range<UInt64> {
                    tracer.emit(
                        .callbackEnqueued, at: tracer.now(), loop: UInt16(ring + 1), name: id, id: index, arg: 0)
                    tracer.emit(.callbackBegan, at: tracer.now(), loop: UInt16(ring + 1), name: id, id: index, arg: 0)
                }
            }
            _ = region.names.intern("worker")
            let bytes = Self.contents(of: RegionDirectory.path(forPID: getpid(), directory: directory))
            region.close()
            return bytes
        } catch {
            fatalError("cannot publish a template region: \(error)")
        }
    }()

    /// A `.atrace` file's header, as `TraceFileWriter` writes it (the structured targets append their chunks).
    public static let traceFileHeader: [UInt8] = {
        let scratch = ScratchFile(named: "template.atrace")
        let info = SourceInfo(
            pid: getpid(), processName: "fuzz", processStartTime: 0, vocabulary: EventKind.vocabularyVersion,
            calibration: ClockCalibration(
                kind: .monotonic, nanosecondsPerTick: 1, epochTicks: 0, epochMonotonicNanoseconds: 0,
                epochUnixNanoseconds: 0),
            ringCount: 1, ringCapacity: 64)
        do {
            let writer = try TraceFileWriter(path: scratch.path, info: info)
            try writer.finish()
        } catch {
            fatalError("cannot write a template trace: \(error)")
        }
        let bytes = Self.contents(of: scratch.path)
        let nameLength =
            Int(bytes[TraceFileRepair.headerFixedSize - 2]) | Int(bytes[TraceFileRepair.headerFixedSize - 1]) << 8
        return Array(bytes.prefix(TraceFileRepair.headerFixedSize + nameLength + 4))
    }()

    /// A chunk of `type` around `payload`, its checksum left for `TraceFileRepair`.
    public static func chunk(type: TraceFileFormat.ChunkType, payload: some Collection<UInt8>) -> [UInt8] {
        var bytes: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        append(TraceFileFormat.chunkMagic)
        bytes += [type.rawValue, 0, 0, 0]
        append(UInt32(payload.count))
        append(UInt32(0))
        append(UInt64(0))
        append(UInt64(0))
        bytes += payload
        append(UInt32(0))
        return bytes
    }

    private static func contents(of path: String) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { fatalError("cannot read \(path)") }
        return Array(data)
    }
}
