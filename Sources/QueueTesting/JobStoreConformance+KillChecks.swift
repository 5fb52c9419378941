import Foundation
import Queue

extension JobStoreConformance {
    /// ``JobStore/kill(_:at:)``.
    static let killChecks: [Check] = [
        Check("killMarksAPendingJobKilledAtOnce") { stores in
            let store = try await stores.openPrepared()
            let job = try await store.insert(Fixture.job())
            let outcome = try await store.kill(job.id, at: Fixture.at(4))
            guard case .killed(let killed) = outcome else {
                throw ConformanceFailure(expected: "killed at once: the job was pending", found: "\(outcome)")
            }
            try expect(killed.status, equals: .killed)
            try expect(killed.endedAt, equals: Fixture.at(4))
            try expect(killed.updatedAt, equals: Fixture.at(4))
            try await expect(store.job(id: job.id), equals: killed)
            try await expect(store.claim(Fixture.scope(job.name), now: Fixture.at(5)), equals: nil)
        },
        Check("killMarksAPausedJobKilledAtOnce") { stores in
            let store = try await stores.openPrepared()
            let (job, worker) = try await runningJob(in: store)
            _ = try await store.finish(job.id, by: worker, as: .paused, output: nil, at: Fixture.at(1))
            let outcome = try await store.kill(job.id, at: Fixture.at(4))
            let stored = try await require(store.job(id: job.id), "the killed job")
            try expect(outcome, equals: .killed(stored))
            try await expect(store.job(id: job.id)?.status, equals: .killed)
        },
        Check("killOfARunningJobSignalsItsWorkerAndLeavesTheJobRunning") { stores in
            let store = try await stores.openPrepared()
            let (job, worker) = try await runningJob(in: store)
            try await expect(store.kill(job.id, at: Fixture.at(4)), equals: .signalled(workerId: worker))
            try await expect(store.job(id: job.id), equals: job)
            let signals = try await store.pendingSignals(for: worker)
            try expect(signals.count, equals: 1, "one signal")
            let signal = try require(signals.first, "the kill signal")
            try expect(signal.kind, equals: .kill)
            try expect(signal.jobId, equals: job.id)
            try expect(signal.workerId, equals: worker)
            try expect(signal.createdAt, equals: Fixture.at(4))
            try expect(signal.acknowledged, equals: false)
            // The worker then records the kill itself.
            try await expect(
                store.finish(job.id, by: worker, as: .killed, output: nil, at: Fixture.at(5))?.status, equals: .killed)
        },
        Check("killLeavesAnEndedJobAsItIsAndReportsAnUnknownOne") { stores in
            let store = try await stores.openPrepared()
            let (job, worker) = try await runningJob(in: store)
            let finished = try await store.finish(job.id, by: worker, as: .finished, output: nil, at: Fixture.at(2))
            try await expect(store.kill(job.id, at: Fixture.at(4)), equals: .alreadyEnded(.finished))
            try await expect(store.job(id: job.id), equals: finished)
            try await expect(store.pendingSignals(for: worker), equals: [])
            try await expect(store.kill(ObjectId(), at: Fixture.at(4)), equals: .notFound)
        },
    ]
}
