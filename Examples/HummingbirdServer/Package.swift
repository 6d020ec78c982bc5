// swift-tools-version: 6.2
import PackageDescription

// A real Hummingbird 2 server watched by asynctop: its NIO loops, its request tasks and their spans. A package of
// its own, so that asynctop's own `swift build` never compiles a web server.
let package = Package(
    name: "asynctop-example-server",
    dependencies: [
        .package(path: "../../Integrations"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1")
    ],
    targets: [
        .executableTarget(
            name: "asynctop-example-server",
            dependencies: [
                .product(name: "AsyncTopNIO", package: "Integrations"),
                .product(name: "Hummingbird", package: "hummingbird")
            ])
    ],
    swiftLanguageModes: [.v6]
)
