import Foundation
import Queue

extension JobStoreConformance {
    /// ``JobStore/runningJobs(_:limit:)``, which crash recovery reads.
    static let runningChecks: [Check] = [
        Check("runningJobsOfAWorkerAreListedLeastRecentlyUpdatedFirst") { stores in
            let store = try await stores.openPrepared()
            let (mine, other) = (ObjectId(), ObjectId())
            let late = try await store.insert(Fixture.job("a", status: .running, createdAt: 5, workerId: mine))
            let early = try await store.insert(Fixture.job("b", status: .running, createdAt: 1, workerId: mine))
            _ = try await store.insert(Fixture.job("c", status: .running, createdAt: 2, workerId: other))
            _ = try await store.insert(Fixture.job("d"))
            try await expect(store.runningJobs(.ownedBy(mine), limit: 10), equals: [
                RunningJobReference(id: early.id, name: "b", workerId: mine, updatedAt: Fixture.at(1), sync: true),
                RunningJobReference(id: late.id, name: "a", workerId: mine, updatedAt: Fixture.at(5), sync: true),
            ])
            try await expect(store.runningJobs(.ownedBy(mine), limit: 1).map(\.id), equals: [early.id])
            try await expect(store.runningJobs(.ownedBy(mine), limit: 0), equals: [])
        },
        Check("orphanedJobsAreThoseOfNoListedWorkerUpdatedBeforeTheCutoff") { stores in
            let store = try await stores.openPrepared()
            let (live, gone) = (ObjectId(), ObjectId())
            _ = try await store.insert(Fixture.job("live", status: .running, createdAt: 0, workerId: live))
            let orphan = try await store.insert(Fixture.job("gone", status: .running, createdAt: 0, workerId: gone))
            _ = try await store.insert(Fixture.job("recent", status: .running, createdAt: 20, workerId: gone))
            let listed = try await store.runningJobs(.orphaned(liveWorkers: [live], updatedBefore: Fixture.at(10)), limit: 10)
            try expect(listed.map(\.id), equals: [orphan.id])
            try expect(listed.first?.workerId, equals: gone)
            let none = try await store.runningJobs(.orphaned(liveWorkers: [], updatedBefore: Fixture.at(10)), limit: 10)
            try expect(Set(none.map(\.name)), equals: ["live", "gone"], "no live worker: every old running job")
        },
    ]

    /// ``JobStore/deleteEnded(before:)``.
    static let retentionChecks: [Check] = [
        Check("deletingEndedJobsKeepsRecentAndUnendedOnes") { stores in
            let store = try await stores.openPrepared()
            var old = Fixture.job("a", status: .finished)
            old.endedAt = Fixture.at(-100)
            var recent = Fixture.job("b", status: .errored)
            recent.endedAt = Fixture.at(-1)
            let pending = Fixture.job("c")
            for job in [old, recent, pending] { _ = try await store.insert(job) }
            try await expect(store.deleteEnded(before: Fixture.at(-50)), equals: 1)
            try await expect(store.job(id: old.id), equals: nil)
            try await expect(store.job(id: recent.id) != nil, "the job that ended after the cutoff, kept")
            try await expect(store.job(id: pending.id) != nil, "the job that has not ended, kept")
        },
    ]
}
