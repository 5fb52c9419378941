import Foundation
import Queue

extension JobStoreConformance {
    /// Jobs, crons, workers and instants for the checks, and for a store's own tests.
    ///
    /// Instants are whole milliseconds, as BSON keeps them, so that a stored job compares equal
    /// to the one inserted.
    public enum Fixture {
        /// The checks' "now".
        public static let now = Date(timeIntervalSince1970: 1_750_000_000)

        /// ``now`` moved by `seconds`.
        public static func at(_ seconds: Double) -> Date { now.addingTimeInterval(seconds) }

        /// A new job as the application creates it, due `due` seconds from ``now``: pending, or
        /// for `running` an inline run (`sync`) on `workerId`, unless it is a cron task, which
        /// has no `sync`.
        public static func job(
            _ name: String = "send-mail", due: Double = 0, status: JobStatus = .pending,
            concurrency: ConcurrencyMode = .concurrent, type: JobType = .simple, createdAt: Double = 0,
            workerId: ObjectId? = nil, payload: BSONDocument? = nil, priority: Int = 0
        ) -> Job {
            Job(
                name: name, type: type, status: status, payload: payload, scheduledFor: at(due),
                startedAt: status == .running ? at(createdAt) : nil, updatedAt: at(createdAt), createdAt: at(createdAt),
                workerId: workerId, sync: status == .running && type == .simple, concurrency: concurrency,
                priority: priority)
        }

        /// A job with every field set, nested payload and output included.
        public static func everyField() -> Job {
            Job(
                name: "rebuild-export", type: .simple, status: .finished,
                payload: [
                    "to": "a@example.com", "tries": 3, "big": .int64(1 << 40), "ratio": 0.25, "flag": true, "nothing": nil,
                    "when": .date(at(-3600)), "ref": .objectId(ObjectId()),
                    "nested": ["list": [1, "two", ["three": [3.5]], nil], "empty": [:]],
                ],
                output: JobOutput(
                    duration: "1m 2s", result: ["rows": 42, "files": ["a.csv", "b.csv"]], error: "warning: slow",
                    skipMetadata: SkipMetadata(reason: "other", conflictingJobId: ObjectId(), skippedAt: at(-5))),
                scheduledFor: at(-120), startedAt: at(-62), endedAt: at(0), updatedAt: at(0), createdAt: at(-180),
                workerId: ObjectId(), sync: true, concurrency: .exclusive)
        }

        /// Cron `name` with `expression`, due `due` seconds from ``now``.
        public static func cron(_ name: String, _ expression: String = "*/5 * * * *", due: Double = 60) -> CronRecord {
            CronRecord(name: name, cronString: expression, scheduledFor: at(due))
        }

        /// The task of cron `name`'s tick due `due` seconds from ``now``, as a worker makes it
        /// `createdAt` seconds from ``now``: stored `running` for `worker` when that worker will
        /// run it itself, `pending` without one.
        public static func cronTask(_ name: String, due: Double, createdAt: Double = 0, runningOn worker: ObjectId? = nil) -> Job {
            job(name, due: due, status: worker == nil ? .pending : .running, type: .cronTask, createdAt: createdAt,
                workerId: worker)
        }

        /// A worker seen at ``now``.
        public static func worker(tags: [String]? = nil) -> WorkerRecord {
            WorkerRecord(hostname: "host-\(ObjectId())", tags: tags, lastSeen: now)
        }

        /// A scope that claims `names` for a new worker.
        public static func scope(_ names: String...) -> ClaimScope { ClaimScope(workerId: ObjectId(), names: names) }

        /// One concurrent claimer per entry of `stores` (each a worker of its own), each claiming
        /// jobs of `names` due by ``now``, `batch` at a time, until none is left; every claim
        /// they made.
        /// - Throws: a ``ConformanceFailure`` when a claimed job is not running on its claimer.
        public static func claimAll(from stores: [any JobStore], batch: Int = 1, names: String...) async throws -> [Job] {
            try await withThrowingTaskGroup(of: [Job].self) { group in
                for store in stores {
                    group.addTask {
                        let scope = ClaimScope(workerId: ObjectId(), names: names)
                        var claimed: [Job] = []
                        while true {
                            let jobs = try await store.claim(scope, now: now, limit: batch)
                            guard !jobs.isEmpty else { return claimed }
                            for job in jobs {
                                try expect(job.status, equals: .running, "a claimed job runs")
                                try expect(job.workerId, equals: scope.workerId, "a claimed job runs on its claimer")
                            }
                            claimed += jobs
                        }
                    }
                }
                return try await group.reduce(into: [Job]()) { $0 += $1 }
            }
        }
    }
}
