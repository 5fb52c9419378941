import Foundation
import Logging
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
import QueueTestSupport

@Suite("MongoDB change streams")
struct MongoJobWatchTests {
    /// On the emulator (and standalone servers) there are no change streams: no watch, one log
    /// line however often it is asked. On a replica set the watch must report a new job.
    @Test func newJobsAreReportedByAChangeStreamOrItsAbsenceIsLoggedOnce() async throws {
        let database = try TestMongo.database()
        defer { database.close() }
        let records = RecordingLogHandler.Records()
        let store = MongoJobStore(database: database, logger: Logger(label: "test") { _ in RecordingLogHandler(records: records) })
        try await store.prepare()
        let scope = ClaimScope(workerId: ObjectId(), names: ["mail"])
        let reported = Recorder<Date>()
        let first = await store.watchNewJobs(scope) { reported.append($0) }
        let second = await store.watchNewJobs(scope) { reported.append($0) }
        defer {
            first?.cancel()
            second?.cancel()
        }
        if first == nil {
            #expect(second == nil)
            let notices = records.all.filter { $0.message.contains("no change streams") }
            #expect(notices.count == 1)
        } else {
            let job = try await store.insert(Fixture.job("mail", due: 60))
            let due = try await eventually("the change stream to report the job") { reported.all.first }
            #expect(due == job.scheduledFor)
        }
    }
}
