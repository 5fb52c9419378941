// swift-tools-version:6.0
// The Swift peers of perf/run, in one package so that SwiftNIO builds once:
// - NIOLoopBench: SwiftNIO's event loop, measured as perf/LoopBenchmark measures ours
//   (see NIO-LOOP.md); swift-nio comes from the package mirror.
// - SwiftJobsBench: hummingbird-project/swift-jobs 1.3.x with its memory driver, the workload
//   of `QueueBenchmark engine`. swift-jobs is not in this machine's package mirror, so this
//   target exists only when a checkout is found at SWIFT_JOBS_CHECKOUT (perf/run copies
//   ../shared/peers/swift-jobs to perf/.peers/swift-jobs, gitignored, and points this there).
//   Nothing of swift-jobs is committed: only this harness.
// The main package does not depend on any of this.
import Foundation
import PackageDescription

let checkout = Context.environment["SWIFT_JOBS_CHECKOUT"]
    ?? URL(fileURLWithPath: Context.packageDirectory).appendingPathComponent("../../.peers/swift-jobs").standardized.path
let hasSwiftJobs = FileManager.default.fileExists(atPath: checkout + "/Package.swift")

var dependencies: [Package.Dependency] = [
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
]
var targets: [Target] = [
    .executableTarget(
        name: "NIOLoopBench",
        dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),
]
if hasSwiftJobs {
    dependencies.append(.package(path: checkout))
    targets.append(.executableTarget(
        name: "SwiftJobsBench",
        dependencies: [.product(name: "Jobs", package: "swift-jobs"), .product(name: "Logging", package: "swift-log")]))
} else {
    targets.append(.executableTarget(name: "SwiftJobsBench", path: "Sources/SwiftJobsMissing"))
}

let package = Package(name: "swift-peers", dependencies: dependencies, targets: targets)
