// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "asynctop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "asynctop", targets: ["asynctop"]),
        .library(name: "AsyncTopTrace", targets: ["AsyncTopTrace"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // Clock reads (TSC / CLOCK_MONOTONIC), the global tracing switch and other
        // things Swift cannot express as cheaply: `static inline` C, imported and inlined.
        .target(name: "CAsyncTopSupport"),
        .target(
            name: "AsyncTopTrace",
            dependencies: [
                "CAsyncTopSupport",
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),
        .target(
            name: "AsyncTopModel",
            dependencies: [
                "AsyncTopTrace",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .executableTarget(
            name: "asynctop",
            dependencies: [
                "AsyncTopTrace",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "AsyncTopTraceTests", dependencies: ["AsyncTopTrace", "asynctop"]),
        .testTarget(name: "AsyncTopModelTests", dependencies: ["AsyncTopModel"]),
    ],
    swiftLanguageModes: [.v6]
)
