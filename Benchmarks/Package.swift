// swift-tools-version: 6.1
// The benchmarks are their own package so that `swift test` on asynctop never builds SwiftNIO or the
// allocation counter. Build with `swift build -c release` here and run `.build/release/asynctop-bench`.
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, and a clone may live in a folder of any name.
let asynctopPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent

let package = Package(
    name: "asynctop-benchmarks",
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.6.1"),
        .package(path: "../Integrations"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // Only to measure, in `serve`, what feeding swift-prometheus every latency sample would cost.
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1")
    ],
    targets: [
        .executableTarget(
            name: "asynctop-bench",
            dependencies: [
                .product(name: "AsyncTopTrace", package: asynctopPackage),
                .product(name: "AsyncTopModel", package: asynctopPackage),
                .product(name: "AsyncTopUI", package: asynctopPackage),
                .product(name: "AsyncTopExport", package: asynctopPackage),
                .product(name: "AsyncTopRuntime", package: asynctopPackage),
                .product(name: "AsyncTopConcurrency", package: asynctopPackage),
                .product(name: "AsyncTopTestSupport", package: asynctopPackage),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
                .product(name: "AsyncTopTracing", package: "Integrations"),
                .product(name: "AsyncTopNIO", package: "Integrations"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Prometheus", package: "swift-prometheus")
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
