import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

@Suite("JobProcessor status and health")
struct ProcessorStatusTests {
    @Test(arguments: StoreKind.processorKinds)
    func statusShowsWorkersWithTheirJobsTheQueueCronsAndLatestJobs(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let started = Recorder<ObjectId>()
        let worker = try RunningProcessor(.testing(store: store, jobs: [
            "hold": JobDefinition { job, signal in
                started.append(job.id)
                throw JobSignal.Cancelled(reason: await signal.cancelled())
            },
        ], crons: ["hourly": CronDefinition("0 * * * *") { _, _ in nil }]))
        let running = try await worker.processor.schedule("hold")
        let later = try await worker.processor.schedule("hold", at: Date().addingTimeInterval(3600))
        _ = try await eventually("the job to start") { started.all.contains(running.id) ? true : nil }
        _ = try await eventually("the cron to be declared") { try await store.crons().isEmpty ? nil : true }

        let asked = Date()
        let status = try await worker.processor.status()
        try await worker.stop()
        #expect(status.workers.map(\.worker.id) == [worker.processor.workerId])
        #expect(status.workers.first?.running.map(\.id) == [running.id])
        #expect(status.queue.map(\.id) == [later.id])
        #expect(status.crons.map(\.cron.name) == ["hourly"])
        #expect(status.crons.first?.cron.scheduledFor ?? .distantPast > asked)
        #expect(Set(status.recentJobsByName["hold"]?.map(\.id) ?? []) == [running.id, later.id])
    }

    @Test func healthHoldsWhileRunningAndFailsOnceStopped() async throws {
        let store = MemoryJobStore()
        let worker = try RunningProcessor(.testing(store: store, jobs: ["x": JobDefinition { _, _ in nil }]))
        // Registered is not yet running: run() registers the worker, then starts the loop.
        _ = try await eventually("the worker to run") { worker.processor.runtime != nil ? true : nil }
        let running = await worker.processor.health()
        try await worker.stop()
        let stopped = await worker.processor.health()
        #expect(running == ProcessorHealth(loopAlive: true, databaseReachable: true, heartbeatFresh: true))
        #expect(running.isHealthy)
        #expect(!stopped.isHealthy && !stopped.loopAlive)
    }
}
