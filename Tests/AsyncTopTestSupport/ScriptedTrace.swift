import AsyncTopModel
import AsyncTopTrace

/// Names for hand-built traces.
public final class ScriptedNames: NameResolver {
    private var byID: [NameID: [UInt8]] = [:]
    private var byName: [String: NameID] = [:]

    public init() {}

    public func id(_ name: String) -> NameID {
        if let id = byName[name] { return id }
        let id = NameID(rawValue: UInt32(byName.count + 1))
        byName[name] = id
        byID[id] = Array(name.utf8)
        return id
    }

    public func id(bytes: [UInt8]) -> NameID {
        let id = NameID(rawValue: UInt32(byID.count + 1000))
        byID[id] = bytes
        return id
    }

    public func bytes(for id: NameID) -> [UInt8]? { byID[id] }
    public func all() -> [(id: NameID, bytes: [UInt8])] { byID.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
}

/// Builds a trace by hand, in milliseconds, and feeds it to an aggregator (1 tick = 1 ns).
public struct ScriptedTrace {
    public static let calibration = ClockCalibration(
        kind: .monotonic, nanosecondsPerTick: 1, epochTicks: 0, epochMonotonicNanoseconds: 0, epochUnixNanoseconds: 0)
    public let names = ScriptedNames()
    public var aggregator: Aggregator

    public init(thresholds: WarningThresholds = WarningThresholds(), retentionMilliseconds: UInt64 = 10_000) {
        aggregator = Aggregator(
            calibration: Self.calibration, thresholds: thresholds,
            retentionNanoseconds: retentionMilliseconds * 1_000_000)
    }

    public var state: RuntimeState { aggregator.state }

    public mutating func at(
        _ milliseconds: Double, _ kind: EventKind, loop: UInt16 = 0, name: String? = nil, id: UInt64 = 0,
        arg: UInt64 = 0
    ) {
        let nameID = name.map { names.id($0) } ?? .none
        aggregator.ingest(
            TraceEvent(time: UInt64(milliseconds * 1e6), kind: kind, loop: loop, name: nameID, id: id, arg: arg),
            names: names)
    }

    public mutating func advance(to milliseconds: Double) {
        aggregator.advance(to: UInt64(milliseconds * 1e6))
    }

    /// A callback on `loop` from `start` for `duration` ms.
    public mutating func callback(_ id: UInt64, site: String, at start: Double, duration: Double, loop: UInt16 = 0) {
        at(start, .callbackBegan, loop: loop, name: site, id: id)
        at(start + duration, .callbackEnded, loop: loop, id: id)
    }

    public func warnings(_ kind: Warning.Kind) -> [Warning] { state.warnings.filter { $0.kind == kind } }
}

extension UInt64 {
    public static func ms(_ value: Double) -> UInt64 { UInt64(value * 1e6) }
}
