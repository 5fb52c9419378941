import Foundation
import Queue

extension JobStoreConformance {
    /// What views of a fleet read (a dashboard): keyset pages and time filters of
    /// ``JobStore/jobs(matching:)``, ``JobStore/countJobs(upTo:)``,
    /// ``JobStore/endingsPerMinute(since:limit:)``, and the trace context a job carries.
    static let viewChecks: [Check] = [
        Check("keysetPagesListEveryJobOnceInTheQueryOrderEvenWithEqualTimes") { stores in
            let store = try await stores.openPrepared()
            // Pairs of jobs created, and due, at the same instant: only the id orders them.
            var jobs: [Job] = []
            for index in 0..<7 {
                jobs.append(try await store.insert(Fixture.job(due: Double(index / 2), createdAt: Double(index / 2))))
            }
            for newestFirst in [true, false] {
                let whole = try await store.jobs(matching: JobQuery(limit: 100, newestFirst: newestFirst))
                var paged: [Job] = []
                var cursor: JobQuery.Cursor?
                while true {
                    let page = try await store.jobs(matching: JobQuery(after: cursor, limit: 3, newestFirst: newestFirst))
                    try expect(page.count <= 3, "a page holds at most its limit")
                    guard let last = page.last else { break }
                    paged += page
                    cursor = JobQuery.Cursor(after: last, newestFirst: newestFirst)
                }
                try expect(paged.map(\.id), equals: whole.map(\.id), "pages, newest first: \(newestFirst)")
                try expect(Set(paged.map(\.id)), equals: Set(jobs.map(\.id)))
            }
        },
        Check("keysetPagesKeepTheQueryFilters") { stores in
            let store = try await stores.openPrepared()
            for index in 0..<6 {
                _ = try await store.insert(Fixture.job(index.isMultiple(of: 2) ? "mail" : "export", createdAt: Double(index)))
            }
            let first = try await store.jobs(matching: JobQuery(names: ["mail"], limit: 2))
            let cursor = JobQuery.Cursor(after: try require(first.last, "the first page's last job"), newestFirst: true)
            let second = try await store.jobs(matching: JobQuery(names: ["mail"], after: cursor, limit: 2))
            try expect(second.map(\.name), equals: ["mail"])
            try expect(second.first?.createdAt, equals: Fixture.at(0))
        },
        Check("jobsMatchingFiltersByCreationTime") { stores in
            let store = try await stores.openPrepared()
            var jobs: [Job] = []
            for index in 0..<5 { jobs.append(try await store.insert(Fixture.job(createdAt: Double(index * 10)))) }
            let between = try await store.jobs(matching: JobQuery(createdSince: Fixture.at(10), createdBefore: Fixture.at(30)))
            try expect(between.map(\.id), equals: [jobs[2].id, jobs[1].id], "created at 10 s and 20 s (30 s is excluded)")
        },
        Check("countingJobsCountsEachStatusUpToTheLimitAndLeavesCronsOut") { stores in
            let store = try await stores.openPrepared()
            _ = try await store.syncCrons([Fixture.cron("nightly")], at: Fixture.now)
            for _ in 0..<4 { _ = try await store.insert(Fixture.job("mail")) }
            _ = try await store.insert(Fixture.job("nightly", type: .cronTask))
            let (job, worker) = try await runningJob(in: store, "export")
            _ = try await store.finish(job.id, by: worker, as: .errored, output: JobOutput(error: "no"), at: Fixture.at(1))
            _ = try await runningJob(in: store, "report")
            let counts = try await store.countJobs(upTo: 100)
            try expect(counts[.pending] ?? 0, equals: 5, "four jobs and a cron task, not the cron itself")
            try expect(counts[.running] ?? 0, equals: 1)
            try expect(counts[.errored] ?? 0, equals: 1)
            try expect(counts[.finished] ?? 0, equals: 0)
            let capped = try await store.countJobs(upTo: 3)
            try expect(capped[.pending] ?? 0, equals: 3, "a count stops at the limit")
            try expect(capped[.running] ?? 0, equals: 1)
        },
        Check("endingsPerMinuteCountRecentEndingsByMinuteAndStatusWithinTheLimit") { stores in
            let store = try await stores.openPrepared()
            let minute = EndingsInMinute.minute(of: Fixture.now)
            // Two finished and one errored in the minute of `now`, one finished the minute after,
            // one finished an hour before (not since), one pending (not ended).
            let endings: [(Double, JobStatus)] = [(0, .finished), (1, .finished), (2, .errored), (60, .finished), (-3600, .finished)]
            for (offset, status) in endings {
                let at = minute.addingTimeInterval(offset)
                let (job, worker) = try await runningJob(in: store, "mail")
                _ = try await store.finish(job.id, by: worker, as: status, output: nil, at: at)
            }
            _ = try await store.insert(Fixture.job("mail"))
            let counted = try await store.endingsPerMinute(since: minute, limit: 100)
            try expect(counted, equals: [
                EndingsInMinute(minute: minute, status: .errored, count: 1),
                EndingsInMinute(minute: minute, status: .finished, count: 2),
                EndingsInMinute(minute: minute.addingTimeInterval(60), status: .finished, count: 1),
            ])
            let latest = try await store.endingsPerMinute(since: minute, limit: 2)
            try expect(latest.map(\.count).reduce(0, +), equals: 2, "only the 2 latest endings are read")
            try expect(latest.last, equals: EndingsInMinute(minute: minute.addingTimeInterval(60), status: .finished, count: 1))
        },
        Check("aJobsTraceContextIsKeptAndComesBackWithItsClaim") { stores in
            let store = try await stores.openPrepared()
            var job = Fixture.job("mail")
            job.traceContext = ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "tracestate": "a=1"]
            let stored = try await store.insert(job)
            try expect(stored.traceContext, equals: job.traceContext)
            try await expect(store.job(id: job.id)?.traceContext, equals: job.traceContext)
            let claimed = try await store.claim(Fixture.scope("mail"), now: Fixture.now)
            try expect(claimed?.traceContext, equals: job.traceContext)
            let plain = try await store.insert(Fixture.job("mail"))
            try await expect(store.job(id: plain.id)?.traceContext, equals: nil)
        },
    ]
}
