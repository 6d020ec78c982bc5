import AsyncTopTrace

/// Exports a recorded trace to a format other tools open.
public enum TraceExport {
    public enum Format: String, CaseIterable, Sendable {
        case chrome, perfetto, csv
    }

    /// What an export wrote, for the caller's summary and for tests.
    public struct Result: Sendable {
        public var events: Int
        public var bytes: Int
        public var flows: Int
    }

    /// Writes `reader`'s trace to `path` in `format`, calling `progress` with the fraction done now and then.
    /// The file appears at `path` whole when the export succeeds (it is written beside it and renamed); a
    /// failure leaves `path` as it was. `path` may not be the recording itself.
    public static func run(
        _ reader: TraceFileReader, format: Format, to path: String, progress: (Double) -> Void = { _ in }
    ) throws(TraceFileError) -> Result {
        let out = try OutputFile(path: path, notOverwriting: reader.path)
        do {
            return try write(reader, format: format, to: out, progress: progress)
        } catch {
            out.discard()
            throw error
        }
    }

    private static func write(
        _ reader: TraceFileReader, format: Format, to out: OutputFile, progress: (Double) -> Void
    ) throws(TraceFileError) -> Result {
        var events: [TraceEvent] = []
        events.reserveCapacity(TraceFileFormat.eventsPerChunk)
        let total = max(1, reader.chunks.count)
        func forEachEvent(_ body: (TraceEvent) throws(TraceFileError) -> Void) throws(TraceFileError) {
            for (index, chunk) in reader.chunks.enumerated() {
                events.removeAll(keepingCapacity: true)
                try reader.events(of: chunk, into: &events)
                for event in events { try body(event) }
                if index % 64 == 0 { progress(Double(index) / Double(total)) }
            }
        }
        let info = reader.info

        /// Drives a timeline writer over every event, then closes it.
        func walk<Sink: TimelineWriter>(
            _ sink: Sink
        ) throws(TraceFileError) -> Result {
            var walker = TimelineWalker(
                sink: sink, calibration: info.calibration, names: reader.names, rings: reader.rings)
            var seen = 0
            try forEachEvent { event throws(TraceFileError) in
                walker.walk(event)
                seen += 1
                try walker.sink.out.flushIfLarge()
            }
            walker.finish()
            try walker.sink.close()
            progress(1)
            return Result(events: seen, bytes: walker.sink.out.written, flows: walker.flows)
        }

        switch format {
        case .csv:
            var writer = CSVWriter(out: out, names: reader.names, calibration: info.calibration)
            var count = 0
            try forEachEvent { event throws(TraceFileError) in
                writer.write(event)
                count += 1
                try writer.out.flushIfLarge()
            }
            try writer.close()
            progress(1)
            return Result(events: count, bytes: writer.out.written, flows: 0)
        case .chrome:
            let sink = ChromeTraceWriter(out: out, names: reader.names, pid: info.pid, processName: info.processName)
            return try walk(sink)
        case .perfetto:
            let sink = PerfettoTraceWriter(
                out: out, names: reader.names, pid: info.pid, processName: info.processName,
                baseNanoseconds: info.calibration.epochMonotonicNanoseconds)
            return try walk(sink)
        }
    }
}
