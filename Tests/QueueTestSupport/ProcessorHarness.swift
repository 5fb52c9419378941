import Foundation
import Logging
import Synchronization
import BSON
import Queue
import QueueMongo
import QueueSQLite

/// A processor running in a task for the length of a test.
public final class RunningProcessor: Sendable {
    public let processor: JobProcessor
    private let task: Task<Void, any Error>

    public init(_ configuration: QueueConfiguration) throws {
        let processor = try JobProcessor(configuration)
        self.processor = processor
        task = Task { try await processor.run() }
    }

    /// Stops gracefully and waits until `run()` has returned.
    public func stop() async throws {
        processor.stop()
        try await task.value
    }

    /// Waits for `run()` to return by itself (e.g. after the worker was declared dead).
    public func finished() async throws { try await task.value }
}

/// Records what handlers saw, from any thread.
public final class Recorder<Entry: Sendable>: Sendable {
    public init() {}
    private let entries = Mutex<[Entry]>([])
    public func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }
    public var all: [Entry] { entries.withLock { $0 } }
    public var count: Int { entries.withLock { $0.count } }
}

/// Counts how many handlers run at once and the highest such count.
public final class ConcurrencyGauge: Sendable {
    public init() {}
    private let state = Mutex((now: 0, peak: 0))
    public func enter() { state.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) } }
    public func leave() { state.withLock { $0.now -= 1 } }
    public var peak: Int { state.withLock { $0.peak } }
}

extension QueueConfiguration {
    /// A configuration with test-friendly timings: fast polls, short grace.
    public static func testing(
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
    public func waitFor(_ id: ObjectId, _ statuses: Set<JobStatus>, timeout: Duration = .seconds(60)) async throws -> Job {
        try await eventually("job \(id) to be \(statuses.map(\.rawValue).sorted())", timeout: timeout) {
            let job = try await self.job(id: id)
            return job.flatMap { statuses.contains($0.status) ? $0 : nil }
        }
    }
}
