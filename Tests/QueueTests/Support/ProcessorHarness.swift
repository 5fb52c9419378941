import Foundation
import Logging
import Synchronization
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

/// A processor running in a task for the length of a test.
final class RunningProcessor: Sendable {
    let processor: JobProcessor
    private let task: Task<Void, any Error>

    init(_ configuration: QueueConfiguration) throws {
        let processor = try JobProcessor(configuration)
        self.processor = processor
        task = Task { try await processor.run() }
    }

    /// Stops gracefully and waits until `run()` has returned.
    func stop() async throws {
        processor.stop()
        try await task.value
    }

    /// Waits for `run()` to return by itself (e.g. after the worker was declared dead).
    func finished() async throws { try await task.value }
}

/// Records what handlers saw, from any thread.
final class Recorder<Entry: Sendable>: Sendable {
    private let entries = Mutex<[Entry]>([])
    func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }
    var all: [Entry] { entries.withLock { $0 } }
    var count: Int { entries.withLock { $0.count } }
}

/// Counts how many handlers run at once and the highest such count.
final class ConcurrencyGauge: Sendable {
    private let state = Mutex((now: 0, peak: 0))
    func enter() { state.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) } }
    func leave() { state.withLock { $0.now -= 1 } }
    var peak: Int { state.withLock { $0.peak } }
}

extension QueueConfiguration {
    /// A configuration with test-friendly timings: fast polls, short grace.
    static func testing(
        store: any JobStore, jobs: [String: JobDefinition], crons: [String: CronDefinition] = [:],
        workerTags: [String]? = nil, concurrency: Int = 4, grace: Duration = .seconds(2)
    ) -> QueueConfiguration {
        var configuration = QueueConfiguration(
            store: store, logger: Logger(label: "test.processor"), jobs: jobs, crons: crons, workerTags: workerTags)
        configuration.concurrency = concurrency
        configuration.pollInterval = .milliseconds(5) ... .milliseconds(50)
        configuration.shutdownGracePeriod = grace
        configuration.heartbeatInterval = .milliseconds(200)
        configuration.deadWorkerTimeout = .seconds(1)
        return configuration
    }
}

extension JobStore {
    /// Waits until the job has reached one of `statuses` and returns it.
    func waitFor(_ id: ObjectId, _ statuses: Set<JobStatus>, timeout: Duration = .seconds(60)) async throws -> Job {
        try await eventually("job \(id) to be \(statuses.map(\.rawValue).sorted())", timeout: timeout) {
            let job = try await self.job(id: id)
            return job.flatMap { statuses.contains($0.status) ? $0 : nil }
        }
    }
}
