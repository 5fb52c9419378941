import CMongoC
import Foundation
import Logging
import Synchronization
import BSON
import Queue

/// A change stream on the jobs collection, read by a thread of its own, that reports each new
/// job in a scope as soon as the server has it (SPEC §5: change streams cut round trips).
///
/// Only replica sets and sharded clusters have change streams; ``open(_:scope:logger:onNewJob:)``
/// asks the server first and returns nil on one that has none. A broken stream is reopened
/// after a second; meanwhile the processor's polling still finds every job.
final class MongoJobWatch: JobWatch {
    private let stopped = Atomic(false)

    /// How long one wait for events may block: how long the thread may outlive ``cancel()``.
    static let maxAwait: Int32 = 500

    /// Starts watching, or returns nil with the server's reason when it has no change streams.
    static func open(
        _ database: MongoDatabase, scope: ClaimScope, logger: Logger,
        onNewJob: @escaping @Sendable (Date) -> Void
    ) async -> Result<MongoJobWatch, MongoError> {
        let name = database.name
        let probe: BSONDocument = [
            "aggregate": .string(MongoJobStore.jobsCollection), "pipeline": [["$changeStream": [:]]],
            "cursor": ["batchSize": 0],
        ]
        do {
            let reply = try await database.run("change stream probe") { client throws(MongoError) in
                try client.runCommand(probe, in: name)
            }
            if let cursor = reply[path: "cursor.id"], cursor.intValue != 0 {
                _ = try? await database.run("killCursors") { client throws(MongoError) in
                    try client.runCommand(
                        ["killCursors": .string(MongoJobStore.jobsCollection), "cursors": [cursor]], in: name)
                }
            }
        } catch {
            return .failure(error)
        }
        let watch = MongoJobWatch()
        let pipeline: [BSONDocument] = [
            ["$match": ["operationType": "insert", "fullDocument.name": ["$in": .array(scope.names.map { .string($0) })]]],
            ["$project": ["fullDocument.scheduled_for": 1]],
        ]
        let thread = Thread { [watch] in
            watch.read(database, pipeline: pipeline, logger: logger, onNewJob: onNewJob)
        }
        thread.name = "job-processor-watch"
        thread.start()
        return .success(watch)
    }

    private init() {}

    /// Stops delivering at once, without blocking; the thread ends within ``maxAwait`` ms,
    /// keeping the database (and its client pool) alive until then.
    func cancel() {
        stopped.store(true, ordering: .releasing)
    }

    /// Reads events until cancelled, reopening the stream after a failure.
    private func read(
        _ database: MongoDatabase, pipeline: [BSONDocument], logger: Logger, onNewJob: @Sendable (Date) -> Void
    ) {
        while !stopped.load(ordering: .acquiring) {
            let failure: String? = database.withDedicatedClient { client in
                let jobs = client.collection(MongoJobStore.jobsCollection, in: database.name)
                let stream = jobs.watch(pipeline, options: ["maxAwaitTimeMS": .int32(Self.maxAwait)])
                defer { mongoc_change_stream_destroy(stream) }
                var event: OpaquePointer?
                while !stopped.load(ordering: .acquiring) {
                    if mongoc_change_stream_next(stream, &event) {
                        if let event, let due = (try? BSONDocument(copying: event))?[path: "fullDocument.scheduled_for"]?.dateValue,
                           !stopped.load(ordering: .acquiring)
                        {
                            onNewJob(due)
                        }
                        continue
                    }
                    var error = bson_error_t()
                    var reply: OpaquePointer?
                    if mongoc_change_stream_error_document(stream, &error, &reply) {
                        return MongoError(error, operation: "change stream on \(jobs.namespace)").description
                    }
                }
                return nil
            }
            if let failure, !stopped.load(ordering: .acquiring) {
                logger.warning("change stream failed; reopening in 1 s (polling continues)", metadata: ["error": "\(failure)"])
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }
}
