import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

@Suite("JobStore conformance: workers and signals")
struct WorkerConformanceTests {
    @Test(arguments: StoreKind.allCases)
    func registeredWorkersAreListedByIdWithTheirTags(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let untagged = Fixture.worker()
            let tagged = Fixture.worker(tags: ["gpu", "eu"])
            try await store.registerWorker(untagged)
            try await store.registerWorker(tagged)
            #expect(try await store.workers() == [untagged, tagged].sorted { $0.id < $1.id })
        }
    }

    @Test(arguments: StoreKind.allCases)
    func registeringAWorkerAgainReplacesItsDocument(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            var worker = Fixture.worker(tags: ["a"])
            try await store.registerWorker(worker)
            worker.tags = nil
            worker.hostname = "moved"
            worker.lastSeen = Fixture.at(30)
            try await store.registerWorker(worker)
            #expect(try await store.workers() == [worker])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func heartbeatRefreshesLastSeenWhileTheWorkerIsRegistered(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let worker = Fixture.worker()
            try await store.registerWorker(worker)
            #expect(try await store.heartbeat(worker.id, at: Fixture.at(10)))
            #expect(try await store.workers().first?.lastSeen == Fixture.at(10))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func heartbeatIsFalseOnceTheWorkerIsRemovedOrWasNeverRegistered(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let worker = Fixture.worker()
            let other = Fixture.worker()
            try await store.registerWorker(worker)
            try await store.registerWorker(other)
            try await store.removeWorker(worker.id)
            #expect(try await store.heartbeat(worker.id, at: Fixture.at(10)) == false)
            #expect(try await store.heartbeat(ObjectId(), at: Fixture.at(10)) == false)
            #expect(try await store.workers() == [other])
            try await store.removeWorker(worker.id)  // removing twice is harmless
        }
    }

    @Test(arguments: StoreKind.allCases)
    func pendingSignalsAreThisWorkersUnacknowledgedOnesOldestFirst(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let scope = Fixture.scope("a")
            let otherScope = Fixture.scope("b")
            var jobs: [Job] = []
            for _ in 0..<3 {
                _ = try await store.insert(Fixture.job("a"))
                jobs.append(try #require(try await store.claim(scope, now: Fixture.now)))
            }
            _ = try await store.insert(Fixture.job("b"))
            let otherJob = try #require(try await store.claim(otherScope, now: Fixture.now))
            for (index, job) in jobs.enumerated() { _ = try await store.kill(job.id, at: Fixture.at(Double(10 + index))) }
            _ = try await store.kill(otherJob.id, at: Fixture.at(5))

            let signals = try await store.pendingSignals(for: scope.workerId)
            #expect(signals.map(\.jobId) == jobs.map(\.id))
            #expect(signals.map(\.createdAt) == [Fixture.at(10), Fixture.at(11), Fixture.at(12)])
            #expect(try await store.pendingSignals(for: otherScope.workerId).map(\.jobId) == [otherJob.id])

            try await store.acknowledgeSignal(signals[1].id)
            #expect(try await store.pendingSignals(for: scope.workerId).map(\.id) == [signals[0].id, signals[2].id])
            try await store.acknowledgeSignal(ObjectId())  // an unknown signal is no error
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aWorkerWithNoSignalsHasNonePending(_ kind: StoreKind) async throws {
        try await kind.withStore { store throws in
            #expect(try await store.pendingSignals(for: ObjectId()).isEmpty)
        }
    }
}
