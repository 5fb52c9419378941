import Foundation
import GRDB
import Testing
@testable import Queue

/// SPEC §7 "No poison": nothing a store holds can crash a worker, stall a claim or stop crash
/// recovery. Documents are written past the store, as another program or a damaged file would.
@Suite("No poison")
struct PoisonTests {
    /// Runs `body` with a fresh store of `kind` (MongoDB or SQLite) and its raw writer.
    private func withHostileStore(_ kind: StoreKind, _ body: (any JobStore, RawWriter) async throws -> Void) async throws {
        if kind == .mongo {
            return try await withMongoStore { store, database in try await body(store, RawWriter(store: store, mongo: database)) }
        }
        let (store, close) = try await kind.make()
        defer { close() }
        try await body(store, RawWriter(store: store, mongo: nil))
    }

    @Test(arguments: [StoreKind.mongo, .sqlite])
    func recoveryTakesOverADeadWorkerDespiteUnreadableJobsAndWorkerDocuments(_ kind: StoreKind) async throws {
        try await withHostileStore(kind) { store, raw in
            let dead = ObjectId()
            let longAgo = Date().addingTimeInterval(-3600)
            try await store.registerWorker(WorkerRecord(id: dead, hostname: "gone", tags: nil, lastSeen: longAgo))
            try await raw.insertWorkerWithNumericHostname(ObjectId(), lastSeen: Date())
            let unreadable = ObjectId()
            let payload: BSON = kind == .mongo ? "not an object" : .binary(subtype: 0, bytes: [0xDE, 0xAD, 0xBE, 0xEF])
            try await raw.insertJob(unreadable, name: "work", [
                "status": "running", "worker_id": .objectId(dead), "payload": payload, "updated_at": .date(longAgo),
            ])
            var readable = Fixture.job("work", status: .running, workerId: dead)
            readable.updatedAt = longAgo
            readable = try await store.insert(readable)

            let worker = try RunningProcessor(.testing(store: store, jobs: ["work": JobDefinition { _, _ in nil }]))
            let recovered = try await store.waitFor(readable.id, [.errored])
            try await eventually("the unreadable job recovered too") {
                try await raw.status(unreadable) == "errored" ? () : nil
            }
            try await worker.stop()
            #expect(recovered.output?.error == "Worker crashed unexpectedly")
        }
    }

    @Test(arguments: [StoreKind.mongo, .sqlite])
    func anUnreadableSignalIsAcknowledgedOnceAndTheOthersStillArrive(_ kind: StoreKind) async throws {
        try await withHostileStore(kind) { store, raw in
            let (worker, job, unreadable) = (ObjectId(), ObjectId(), ObjectId())
            try await raw.insertSignal(unreadable, worker: worker, type: "explode")
            try await raw.insertSignal(ObjectId(), worker: worker, type: "kill", job: job)
            #expect(try await store.pendingSignals(for: worker).map(\.jobId) == [job])
            #expect(try await raw.signalAcknowledged(unreadable) == true)
            #expect(try await store.pendingSignals(for: worker).map(\.jobId) == [job], "reported once")
        }
    }

    @Test(arguments: StoreKind.processorKinds)
    func jobsDueCenturiesAheadNeitherStopAWorkerNorDelayTheOthers(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let worker = try RunningProcessor(.testing(store: store, jobs: ["work": JobDefinition { _, _ in nil }]))
        let year2400 = try await worker.processor.schedule("work", at: Date(timeIntervalSince1970: 13_569_465_600))
        let year9999 = try await worker.processor.schedule("work", at: Date(timeIntervalSince1970: 253_402_300_799))
        let now = try await worker.processor.schedule("work")
        #expect(try await store.waitFor(now.id, [.finished]).status == .finished)
        try await worker.stop()
        #expect(try await store.job(id: year2400.id)?.status == .pending)
        #expect(try await store.job(id: year9999.id)?.status == .pending)
    }

    @Test func datesOutsideYears1To9999AreRefusedWhenScheduling() async throws {
        let processor = try JobProcessor(.testing(store: MemoryJobStore(), jobs: ["work": JobDefinition { _, _ in nil }]))
        for date in [Date(timeIntervalSince1970: 253_402_300_800), Date(timeIntervalSince1970: -62_135_596_801)] {
            let error = await #expect(throws: QueueError.self) { try await processor.schedule("work", at: date) }
            #expect(error?.code == .invalidDate)
            #expect(error?.message.contains("work") == true)
        }
        #expect(try await processor.schedule("work", at: Date(timeIntervalSince1970: -62_135_596_800)).status == .pending)
    }
}
