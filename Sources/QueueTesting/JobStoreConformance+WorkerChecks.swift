import Foundation
import Queue

extension JobStoreConformance {
    /// Worker documents, heartbeats, dead workers and signals.
    static let workerChecks: [Check] = [
        Check("registeredWorkersAreListedByIdWithTheirTags") { stores in
            let store = try await stores.openPrepared()
            let untagged = Fixture.worker()
            let tagged = Fixture.worker(tags: ["gpu", "eu"])
            try await store.registerWorker(untagged)
            try await store.registerWorker(tagged)
            try await expect(store.workers(), equals: [untagged, tagged].sorted { $0.id < $1.id })
        },
        Check("registeringAWorkerAgainReplacesItsDocument") { stores in
            let store = try await stores.openPrepared()
            var worker = Fixture.worker(tags: ["a"])
            try await store.registerWorker(worker)
            worker.tags = nil
            worker.hostname = "moved"
            worker.lastSeen = Fixture.at(30)
            try await store.registerWorker(worker)
            try await expect(store.workers(), equals: [worker])
        },
        Check("heartbeatRefreshesLastSeenWhileTheWorkerIsRegistered") { stores in
            let store = try await stores.openPrepared()
            let worker = Fixture.worker()
            try await store.registerWorker(worker)
            try await expect(store.heartbeat(worker.id, at: Fixture.at(10)), equals: true)
            try await expect(store.workers().first?.lastSeen, equals: Fixture.at(10))
        },
        Check("heartbeatIsFalseOnceTheWorkerIsRemovedOrWasNeverRegistered") { stores in
            let store = try await stores.openPrepared()
            let worker = Fixture.worker()
            let other = Fixture.worker()
            try await store.registerWorker(worker)
            try await store.registerWorker(other)
            try await store.removeWorker(worker.id)
            try await expect(store.heartbeat(worker.id, at: Fixture.at(10)), equals: false)
            try await expect(store.heartbeat(ObjectId(), at: Fixture.at(10)), equals: false)
            try await expect(store.workers(), equals: [other])
            try await store.removeWorker(worker.id)  // removing twice is harmless
        },
        Check("aDeadWorkerIsDeclaredDeadOnceAndALiveOneNever") { stores in
            let handles = try await stores.openPrepared(concurrentHandles)
            let dead = Fixture.worker()
            var live = Fixture.worker()
            live.lastSeen = Fixture.at(100)
            try await handles[0].registerWorker(dead)
            try await handles[0].registerWorker(live)
            let cutoff = Fixture.at(50)
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for store in handles { group.addTask { try await store.declareDead(dead.id, seenBefore: cutoff) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            try expect(wins, equals: 1, "callers that own the dead worker's recovery")
            try await expect(handles[0].declareDead(live.id, seenBefore: cutoff), equals: false)
            try await expect(handles[0].workers(), equals: [live])
        },
        Check("pendingSignalsAreThisWorkersUnacknowledgedOnesOldestFirst") { stores in
            let store = try await stores.openPrepared()
            let scope = Fixture.scope("a")
            let otherScope = Fixture.scope("b")
            var jobs: [Job] = []
            for _ in 0..<3 {
                _ = try await store.insert(Fixture.job("a"))
                jobs.append(try await require(store.claim(scope, now: Fixture.now), "a job of a, claimed"))
            }
            _ = try await store.insert(Fixture.job("b"))
            let otherJob = try await require(store.claim(otherScope, now: Fixture.now), "the job of b, claimed")
            for (index, job) in jobs.enumerated() { _ = try await store.kill(job.id, at: Fixture.at(Double(10 + index))) }
            _ = try await store.kill(otherJob.id, at: Fixture.at(5))

            let signals = try await store.pendingSignals(for: scope.workerId)
            try expect(signals.map(\.jobId), equals: jobs.map(\.id))
            try expect(signals.map(\.createdAt), equals: [Fixture.at(10), Fixture.at(11), Fixture.at(12)])
            try await expect(store.pendingSignals(for: otherScope.workerId).map(\.jobId), equals: [otherJob.id])

            try await store.acknowledgeSignal(signals[1].id)
            try await expect(store.pendingSignals(for: scope.workerId).map(\.id), equals: [signals[0].id, signals[2].id])
            try await store.acknowledgeSignal(ObjectId())  // an unknown signal is no error
        },
        Check("aWorkerWithNoSignalsHasNonePending") { stores in
            let store = try await stores.openPrepared()
            try await expect(store.pendingSignals(for: ObjectId()), equals: [])
        },
    ]
}
