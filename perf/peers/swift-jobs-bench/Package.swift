// swift-tools-version:6.0
// The swift-jobs peer harness (perf/run builds it when a swift-jobs checkout is available).
// swift-jobs is not in this machine's package mirror, so the checkout comes from
// SWIFT_JOBS_CHECKOUT (default: perf/.peers/swift-jobs, gitignored). Nothing of swift-jobs
// is committed here: this package is only our harness around its public API.
import PackageDescription

let checkout = Context.environment["SWIFT_JOBS_CHECKOUT"] ?? "../../.peers/swift-jobs"

let package = Package(
    name: "swift-jobs-bench",
    dependencies: [
        .package(path: checkout),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "SwiftJobsBench",
            dependencies: [
                .product(name: "Jobs", package: "swift-jobs"),
                .product(name: "Logging", package: "swift-log"),
            ]
        )
    ]
)
