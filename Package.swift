// swift-tools-version:6.0
//
// job-processor: a background job processor for Swift on Linux, over MongoDB.
// Layout follows the design card (see README.md): thin C shims (CEpoll, CURing, CProbes), the
// event loop (Loop), cron expressions (Cron), BSON, the queue's core (Queue), its stores (QueueMongo,
// QueueSQLite) and their conformance suite (QueueTesting), the web dashboard (QueueDashboard), the
// command-line tool, tests and benchmarks (perf/).

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "job-processor",
    products: [
        .library(name: "Queue", targets: ["Queue"]),
        .library(name: "QueueMongo", targets: ["QueueMongo"]),
        .library(name: "QueueSQLite", targets: ["QueueSQLite"]),
        .library(name: "QueueTesting", targets: ["QueueTesting"]),
        .library(name: "QueueDashboard", targets: ["QueueDashboard"]),
        .library(name: "BSON", targets: ["BSON"]),
        .library(name: "Cron", targets: ["Cron"]),
        .library(name: "Loop", targets: ["Loop"]),
        .executable(name: "job-processor", targets: ["JobProcessorCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // Thin wrappers for the Linux syscalls Swift's Glibc module does not import.
        .target(name: "CEpoll"),
        // USDT static tracepoints (job claim, handler start and end, store round trips) for perf
        // and bpftrace; <sys/sdt.h> is Debian's systemtap-sdt-dev (header only, nothing to link).
        .target(name: "CProbes"),
        // liburing from Debian, for CURing's C code only (Swift cannot import liburing.h beside
        // Glibc: see Sources/CLibURing/module.modulemap).
        .systemLibrary(name: "CLibURing", pkgConfig: "liburing", providers: [.apt(["liburing-dev"])]),
        // One-line wrappers for liburing's inline helpers, behind a header Swift can import.
        .target(name: "CURing", dependencies: ["CLibURing"]),
        // libmongoc and libbson from Debian (apt-get install libmongoc-dev libbson-dev).
        .systemLibrary(
            name: "CMongoC",
            pkgConfig: "libmongoc-1.0",
            providers: [.apt(["libmongoc-dev", "libbson-dev"])]
        ),
        .target(
            name: "Loop",
            dependencies: [
                "CEpoll", "CURing",
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "Cron", swiftSettings: swiftSettings),
        // BSON values, their wire format and Extended JSON, in pure Swift.
        .target(name: "BSON", swiftSettings: swiftSettings),
        // The core: model, store protocol, memory store, the worker and its definitions. Links
        // neither libmongoc nor SQLite, nor Hummingbird or SwiftNIO: metrics and traces go through
        // the swift-metrics and swift-distributed-tracing APIs, whose backends the application picks.
        .target(
            name: "Queue",
            dependencies: [
                "Loop", "Cron", "BSON", "CProbes",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        // The MongoDB store: the only module that links libmongoc.
        .target(
            name: "QueueMongo",
            dependencies: [
                "Queue", "BSON", "CMongoC", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The embedded SQLite store: the only module that links GRDB.
        .target(
            name: "QueueSQLite",
            dependencies: [
                "Queue", "BSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The store conformance suite as a library a store written elsewhere can run. Depends on
        // Queue alone, and on no test framework, so that it links wherever the store does.
        .target(name: "QueueTesting", dependencies: ["Queue"], swiftSettings: swiftSettings),
        // The web dashboard and the Prometheus endpoint: the only module that imports Hummingbird
        // (and so SwiftNIO).
        .target(
            name: "QueueDashboard",
            dependencies: [
                "Queue", "Cron",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "JobProcessorCLI",
            dependencies: [
                "Queue", "QueueMongo", "QueueSQLite", "QueueDashboard", "Cron", "Loop",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),

        // Benchmarks: `swift run -c release <Name>` (see perf/README.md).
        .executableTarget(name: "LoopBenchmark", dependencies: ["Loop"], path: "perf/LoopBenchmark",
                          swiftSettings: swiftSettings),
        .executableTarget(name: "QueueBenchmark", dependencies: [
            "Queue", "QueueMongo", "QueueSQLite", "QueueDashboard", "Loop", .product(name: "Logging", package: "swift-log"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], path: "perf/QueueBenchmark", swiftSettings: swiftSettings),
        .executableTarget(name: "CronBenchmark", dependencies: ["Cron"], path: "perf/CronBenchmark",
                          swiftSettings: swiftSettings),

        // A child process for the signal test: a process-directed SIGTERM reaches the loop only
        // when every thread blocks it, which only a process's own main can arrange.
        .executableTarget(name: "LoopSignalProbe", dependencies: ["Loop"], path: "Tests/LoopSignalProbe",
                          swiftSettings: swiftSettings),
        .testTarget(name: "LoopTests", dependencies: ["Loop", "LoopSignalProbe"], swiftSettings: swiftSettings),
        .testTarget(name: "CronTests", dependencies: ["Cron"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        // libbson (CMongoC, and QueueMongo's bridge to it) is the reference the codec, Decimal128 and
        // Extended JSON are compared with.
        .testTarget(name: "BSONTests", dependencies: ["BSON", "CMongoC", "QueueMongo"], swiftSettings: swiftSettings),
        // What the store and processor tests share: stores of each kind, the MongoDB test
        // server, worker processes, waiting for a condition. On the modules' public and
        // package API only, so that each test target can use it.
        .target(
            name: "QueueTestSupport",
            dependencies: [
                "Queue", "QueueMongo", "QueueSQLite", "QueueTesting", "BSON", "ChildProcesses",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/QueueTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QueueSQLiteTests",
            dependencies: [
                "QueueSQLite", "Queue", "QueueTesting", "QueueTestSupport", "BSON",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QueueMongoTests",
            dependencies: [
                "QueueMongo", "Queue", "QueueTesting", "QueueTestSupport", "BSON", "CMongoC", "QueueTestWorker",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QueueTests",
            dependencies: [
                "Queue", "QueueMongo", "QueueSQLite", "QueueTesting", "QueueTestSupport", "BSON", "CMongoC", "QueueTestWorker",
                "ChildProcesses",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "QueueTestingTests", dependencies: ["Queue", "QueueTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CLITests",
            dependencies: [
                "Queue", "QueueSQLite", "JobProcessorCLI", "ChildProcesses", "QueueTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DashboardTests",
            dependencies: [
                "Queue", "QueueSQLite", "QueueDashboard", "JobProcessorCLI", "QueueTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // How the tests start processes: posix_spawn, not Foundation's Process (see ChildProcess).
        .target(name: "CChildProcess", path: "Tests/CChildProcess"),
        .target(
            name: "ChildProcesses", dependencies: ["CChildProcess"], path: "Tests/ChildProcesses",
            swiftSettings: swiftSettings),
        // A worker process that the multi-process tests spawn, SIGTERM and SIGKILL.
        .executableTarget(
            name: "QueueTestWorker",
            dependencies: ["Queue", "QueueMongo", "QueueSQLite", "Loop", .product(name: "Logging", package: "swift-log")],
            path: "Tests/QueueTestWorker",
            swiftSettings: swiftSettings
        ),
    ]
)
