import AsyncTopExport
import AsyncTopModel
import AsyncTopTrace

/// The fuzz targets' bodies: each reader of bytes asynctop did not write, fed one input. The libFuzzer program in
/// `Fuzz/` calls one of these on every input, and `FuzzRegressionTests` calls them on every input a fuzzer once failed
/// on (`Fuzz/Regressions`), so a fixed crash stays fixed. An input that a reader rejects with an error is fine; a trap,
/// a hang or a sanitizer report is a finding. Each keeps one scratch file, rewritten per input.
public enum FuzzHarness {
    /// The targets, by the names `asynctop-fuzz`, `scripts/fuzz` and `Fuzz/Regressions` use.
    public static let targets = ["atrace", "export", "region", "names"]

    /// Runs target `name` (one of `targets`) on `input`.
    public static func run(_ name: String, on input: UnsafeRawBufferPointer) {
        switch name {
        case "atrace": traceFile(input)
        case "export": export(input)
        case "region": region(input)
        case "names": names(input)
        default: preconditionFailure("no fuzz target \(name)")
        }
    }

    /// The scratch file the `.atrace` targets write their input to (one target runs in a process).
    private static let inputTraceFile = ScratchFile(named: "input.atrace")

    /// `bytes` as a `.atrace` file opened by the reader (nil when it refuses them), with their checksums made right
    /// first (`TraceFileRepair`) so that they reach the decoders.
    private static func openTraceFile(_ bytes: [UInt8], in file: ScratchFile) -> TraceFileReader? {
        var bytes = bytes
        TraceFileRepair.fixChecksums(&bytes)
        bytes.withUnsafeBytes { file.write($0) }
        return try? TraceFileReader(path: file.path)
    }

    /// The `.atrace` reader and replay, on any bytes: open (header, chunk index, names, rings, losses, spans), decode
    /// every events chunk (varints, kinds, deltas), then replay the trace through the model and seek in it.
    public static func traceFile(_ input: UnsafeRawBufferPointer) {
        guard let reader = openTraceFile(Array(input), in: inputTraceFile) else { return }
        var events: [TraceEvent] = []
        for chunk in reader.chunks {
            events.removeAll(keepingCapacity: true)
            try? reader.events(of: chunk, into: &events)
            _ = reader.ring(of: chunk)
        }
        for (id, _) in reader.names.all() { _ = reader.names.bytes(for: id) }
        let replay = TraceReplay(reader: reader)
        replay.seek(to: replay.startNanoseconds + (replay.endNanoseconds - replay.startNanoseconds) / 2)
        if !replay.warningMarks.isEmpty { replay.seek(toWarning: 0) }
        replay.seek(to: replay.startNanoseconds)
        _ = TraceSummary(replay.aggregator.state)
    }

    private static let exportOutput = ScratchFile(named: "output")

    /// The exports, fed by the reader from any bytes: CSV, Chrome JSON and Perfetto protobuf, written and renamed into
    /// a scratch directory.
    public static func export(_ input: UnsafeRawBufferPointer) {
        guard let reader = openTraceFile(Array(input), in: inputTraceFile) else { return }
        for format in TraceExport.Format.allCases {
            _ = try? TraceExport.run(reader, format: format, to: exportOutput.path)
        }
    }

    private static let regionFile = ScratchFile(named: "region")

    /// A hostile region behind `asynctop attach`. The input's first part overwrites a real region file from its start
    /// (header, ring heads, events, name arena: a truncated or lying header, heads anywhere, names pointing anywhere);
    /// the rest is a list of writes (u16 offset, u8 length, bytes) made between reads, as a racing or malicious
    /// producer would make them while the reader reads. The reader attaches, reads until the region ends or 16 reads,
    /// and resolves every name the events name.
    public static func region(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 2 else { return }
        // The first two bytes say how much of the rest is the image: laid over the template's start (a part past its
        // end makes the file longer) or, when the first byte is odd, the whole file (a short one is truncated).
        let split = min(input.count - 2, Int(input[0]) | Int(input[1]) << 8)
        var region = Templates.region
        let image = UnsafeRawBufferPointer(rebasing: input[2..<(2 + split)])
        if input[0] & 1 == 1 {
            region = Array(image)  // the whole file is the input
        } else {
            for (index, byte) in image.enumerated() where index < region.count { region[index] = byte }
        }
        region.withUnsafeBytes { regionFile.write($0) }
        guard let source = try? AttachedSource(path: regionFile.path) else { return }
        var writes = input[(2 + split)...]
        var batch = EventBatch()
        for _ in 0..<16 {
            batch.removeAll()
            let status = source.read(into: &batch, limit: 256)
            for event in batch.events { _ = source.names.bytes(for: event.name) }
            if case .ended = status { break }
            guard writes.count >= 3 else { continue }
            let offset = Int(writes[writes.startIndex]) | Int(writes[writes.startIndex + 1]) << 8
            let length = min(Int(writes[writes.startIndex + 2]), writes.count - 3)
            let data = writes[(writes.startIndex + 3)..<(writes.startIndex + 3 + length)]
            regionFile.write(UnsafeRawBufferPointer(rebasing: data), at: offset * 8 % max(1, region.count))
            writes = writes[(writes.startIndex + 3 + length)...]
        }
        _ = source.names.all()
    }

    private static let namesTraceFile = ScratchFile(named: "names.atrace")
    private static let namesRegionFile = ScratchFile(named: "names.region")

    /// Name tables from any bytes, both kinds: a `.atrace` names chunk whose payload is the input (ids and lengths as
    /// varints), and a region whose name arena is the input and whose "bytes used" is the input's first two bytes
    /// (records pointing anywhere, lengths past the arena's end, a used count beyond the arena). Every id from 0 to 300
    /// and every id the table lists is resolved.
    public static func names(_ input: UnsafeRawBufferPointer) {
        func resolveAll(_ names: any NameResolver) {
            for raw in 0..<300 as Range<UInt32> { _ = names.bytes(for: NameID(rawValue: raw)) }
            for (id, _) in names.all() { _ = names.bytes(for: id) }
        }

        let trace = Templates.traceFileHeader + Templates.chunk(type: .names, payload: input)
        if let reader = openTraceFile(trace, in: namesTraceFile) { resolveAll(reader.names) }

        guard input.count >= 2 else { return }
        var region = Templates.region
        let layout = Templates.regionLayout
        let used = UInt64(input[0]) | UInt64(input[1]) << 8
        withUnsafeBytes(of: used.littleEndian) {
            region.replaceSubrange(RegionLayout.Field.namesUsed..<RegionLayout.Field.namesUsed + 8, with: $0)
        }
        let arena = input.dropFirst(2).prefix(layout.namesCapacity)
        region.replaceSubrange(layout.namesOffset..<(layout.namesOffset + arena.count), with: arena)
        region.withUnsafeBytes { namesRegionFile.write($0) }
        if let source = try? AttachedSource(path: namesRegionFile.path) { resolveAll(source.names) }
    }
}
