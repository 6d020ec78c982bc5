/// Reads a region of this process: what the monitor uses for the demos. Holds the region alive.
public final class InProcessSource: Source, @unchecked Sendable {
    public let region: Region
    public let info: SourceInfo
    public let names: any NameResolver
    private let view: RegionView
    private var cursor: RegionCursor

    public init(region: Region) {
        self.region = region
        self.view = region.view()
        self.info = view.info
        self.names = view.makeNameReader()
        // Made with the region, before (or as) its producer writes: every event from the start is delivered or missed.
        self.cursor = RegionCursor()
    }

    public func read(into batch: inout EventBatch, limit: Int = .max) -> SourceStatus {
        cursor.read(view, into: &batch, limit: limit)
        if view.state == .closed { return .ended(reason: "the traced code closed its region") }
        return .live
    }
}
