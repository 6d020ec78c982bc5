/// Every demo, in tour order.
public enum DemoCatalog {
    public static let all: [Demo] = [
        .helloGather, .blockingCallback, .microtaskStarvation, .timerDrift, .fanOut, .backpressure, .echoServer,
        .errorsAndCancellation, .multiLoop, .poolStarvation, .actorContention
    ]

    public static func named(_ name: String) -> Demo? { all.first { $0.name == name } }
}
