// swift-tools-version: 6.1
// A libFuzzer program for every reader of bytes asynctop did not write: `.atrace` files, other processes' regions,
// their name tables, and the exports fed from a file. Their bodies are `FuzzHarness` (AsyncTopTestSupport), which
// the main package's tests also run on past findings. A package of its own: scripts/fuzz builds it with
// `-sanitize=fuzzer,address`, which the main package's build must never carry.
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, and a clone may live in a folder of any name.
let asynctopPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent

let package = Package(
    name: "asynctop-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "asynctop-fuzz",
            dependencies: ["CFuzzerDriver", .product(name: "AsyncTopTestSupport", package: asynctopPackage)])
    ]
)
