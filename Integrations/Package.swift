// swift-tools-version: 6.1
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, and a clone may live in a folder of any name.
let asynctopPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent

// asynctop for SwiftNIO and swift-distributed-tracing users, in a package of its own so that the core package's
// build (the monitor, the runtime, the concurrency tap) never compiles SwiftNIO.
let package = Package(
    name: "asynctop-integrations",
    products: [
        // SwiftNIO's event loops as asynctop loops (a metrics delegate), and the one call a server makes.
        .library(name: "AsyncTopNIO", targets: ["AsyncTopNIO"]),
        // A swift-distributed-tracing `Tracer` whose spans become trace events tied to the task that opens them.
        .library(name: "AsyncTopTracing", targets: ["AsyncTopTracing"]),
        // A swift-metrics backend: every library's counters, meters, recorders and timers as asynctop user counters.
        .library(name: "AsyncTopMetrics", targets: ["AsyncTopMetrics"])
    ],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0")
    ],
    targets: [
        .target(
            name: "AsyncTopTracing",
            dependencies: [
                .product(name: "AsyncTopTrace", package: asynctopPackage),
                .product(name: "AsyncTopConcurrency", package: asynctopPackage),
                .product(name: "Tracing", package: "swift-distributed-tracing")
            ]),
        .target(
            name: "AsyncTopMetrics",
            dependencies: [
                .product(name: "AsyncTopTrace", package: asynctopPackage),
                .product(name: "AsyncTopConcurrency", package: asynctopPackage),
                .product(name: "CoreMetrics", package: "swift-metrics")
            ]),
        .target(
            name: "AsyncTopNIO",
            dependencies: [
                "AsyncTopTracing",
                .product(name: "AsyncTopTrace", package: asynctopPackage),
                .product(name: "AsyncTopConcurrency", package: asynctopPackage),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing")
            ]),
        .testTarget(
            name: "AsyncTopNIOTests",
            dependencies: [
                "AsyncTopNIO", "AsyncTopTracing", "AsyncTopMetrics",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncTopTrace", package: asynctopPackage),
                .product(name: "AsyncTopModel", package: asynctopPackage),
                .product(name: "AsyncTopConcurrency", package: asynctopPackage),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing")
            ])
    ],
    swiftLanguageModes: [.v6]
)
