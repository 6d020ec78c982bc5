// swift-tools-version: 6.1
import PackageDescription

// Linux only (epoll, eventfd, /proc, ELF, LD_PRELOAD, ncurses): no `platforms:`, which lists Apple platforms alone.
let package = Package(
    name: "asynctop",
    products: [
        .executable(name: "asynctop", targets: ["asynctop"]),
        .library(name: "AsyncTopTrace", targets: ["AsyncTopTrace"]),
        .library(name: "AsyncTopModel", targets: ["AsyncTopModel"]),
        .library(name: "AsyncTopExport", targets: ["AsyncTopExport"]),
        .library(name: "AsyncTopUI", targets: ["AsyncTopUI"]),
        .library(name: "AsyncTopRuntime", targets: ["AsyncTopRuntime"]),
        .library(name: "AsyncTopServe", targets: ["AsyncTopServe"]),
        // Swift Concurrency's global executor, traced: `AsyncTop.traceConcurrency()` in main.
        .library(name: "AsyncTopConcurrency", targets: ["AsyncTopConcurrency"]),
        // The same tap, preloadable: `asynctop run -- CMD` puts it into an unmodified program with LD_PRELOAD.
        .library(name: "AsyncTopConcurrencyPreload", type: .dynamic, targets: ["AsyncTopConcurrencyPreload"]),
        // For the benchmarks and the fuzz targets: child processes that cannot hang, the fuzz targets' bodies.
        .library(name: "AsyncTopTestSupport", targets: ["AsyncTopTestSupport"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0")
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
                .product(name: "DequeModule", package: "swift-collections")
            ]
        ),
        .target(
            name: "AsyncTopModel",
            dependencies: [
                "AsyncTopTrace",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "DequeModule", package: "swift-collections")
            ]
        ),
        // The instrumented event loop: callbacks, microtasks, timers, epoll I/O, futures, Swift executors.
        .target(
            name: "AsyncTopRuntime",
            dependencies: [
                "AsyncTopTrace",
                "CAsyncTopSupport",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections")
            ]
        ),
        // The concurrency tap's hooks: C, for the Swift and Swift-async calling conventions on raw runtime jobs.
        .target(
            name: "CAsyncTopConcurrency", dependencies: ["CAsyncTopSupport"],
            linkerSettings: [.linkedLibrary("dispatch")]),
        .target(
            name: "AsyncTopConcurrency", dependencies: ["AsyncTopTrace", "CAsyncTopConcurrency", "CAsyncTopSupport"]),
        .target(name: "CAsyncTopConcurrencyPreload"),
        .target(
            name: "AsyncTopConcurrencyPreload", dependencies: ["AsyncTopConcurrency", "CAsyncTopConcurrencyPreload"]),
        // A program for the tap's tests: named tasks in a TaskGroup, a chain of awaits, an actor, a blocking call.
        .executableTarget(
            name: "asynctop-concurrency-sample",
            dependencies: ["AsyncTopConcurrency", "AsyncTopTrace", "ConcurrencySampleHook"],
            path: "Tests/ConcurrencySample"),
        .target(name: "ConcurrencySampleHook", path: "Tests/ConcurrencySampleHook"),
        .target(name: "AsyncTopExport", dependencies: ["AsyncTopTrace"]),
        .target(
            name: "AsyncTopDemos", dependencies: ["AsyncTopRuntime", "AsyncTopConcurrency", "AsyncTopTrace"],
            path: "demos"),
        // ncurses through a small C shim: its macros (COLOR_PAIR, getmaxyx) are not callable from Swift, and
        // the crash/SIGTERM handlers that restore the terminal must be C.
        .target(name: "CNcurses", linkerSettings: [.linkedLibrary("ncursesw")]),
        .target(
            name: "AsyncTopUI",
            dependencies: [
                "AsyncTopModel", "AsyncTopTrace", "CAsyncTopSupport", "CNcurses",
                .product(name: "HeapModule", package: "swift-collections")
            ]
        ),
        // `asynctop serve`: every publishing process's figures for Prometheus, served on asynctop's own loop.
        .target(name: "AsyncTopServe", dependencies: ["AsyncTopModel", "AsyncTopRuntime", "AsyncTopTrace"]),
        .executableTarget(
            name: "asynctop",
            dependencies: [
                "AsyncTopServe",
                "AsyncTopTrace",
                "AsyncTopModel",
                "AsyncTopUI",
                "AsyncTopExport",
                "AsyncTopDemos",
                "AsyncTopRuntime",
                "CAsyncTopSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]
        ),
        .testTarget(name: "AsyncTopTraceTests", dependencies: ["AsyncTopTrace", "AsyncTopTestSupport", "asynctop"]),
        .testTarget(name: "AsyncTopRuntimeTests", dependencies: ["AsyncTopRuntime", "AsyncTopTrace"]),
        // Child processes, scripted traces, and the fuzz targets' bodies (run by Fuzz/, and by the tests on past
        // findings).
        .target(
            name: "AsyncTopTestSupport", dependencies: ["AsyncTopModel", "AsyncTopExport", "AsyncTopTrace"],
            path: "Tests/AsyncTopTestSupport"),
        .testTarget(name: "AsyncTopModelTests", dependencies: ["AsyncTopModel", "AsyncTopTestSupport"]),
        .testTarget(
            name: "AsyncTopExportTests",
            dependencies: ["AsyncTopExport", "AsyncTopDemos", "AsyncTopModel", "AsyncTopTestSupport"]),
        .testTarget(name: "AsyncTopDemosTests", dependencies: ["AsyncTopDemos", "AsyncTopModel"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "AsyncTopTrace", "AsyncTopModel", "AsyncTopTestSupport", "asynctop", "asynctop-concurrency-sample"
            ]),
        .testTarget(
            name: "AsyncTopServeTests",
            dependencies: [
                "AsyncTopServe", "AsyncTopModel", "AsyncTopRuntime", "AsyncTopTrace", "AsyncTopTestSupport"
            ]),
        .testTarget(
            name: "AsyncTopUITests", dependencies: ["AsyncTopUI", "AsyncTopTestSupport"], exclude: ["Snapshots"])
    ],
    swiftLanguageModes: [.v6]
)
