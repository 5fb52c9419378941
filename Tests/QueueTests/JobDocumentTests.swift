import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// A field of a stored job set to a wrong value (or removed, for nil), and the words the error
/// must hold.
struct Malformation: Sendable, CustomTestStringConvertible {
    var field: String
    var value: BSON?
    var expected: String
    var testDescription: String { "\(field) = \(value.map(\.description) ?? "absent")" }
}

@Suite("Job documents: the stored schema")
struct JobDocumentTests {
    static let id = Fixture.minimalJobId

    /// A job document with only its required fields, as another tool may write it.
    static let minimal = Fixture.minimalJobDocument

    @Test func everyFieldRoundTripsThroughTheDocument() throws {
        let job = Fixture.everyField()
        #expect(try JobDocument.decode(JobDocument.encode(job, exclusiveKeyField: false), operation: "test") == job)
        let bytes = BSONWriter.encode(JobDocument.encode(job, exclusiveKeyField: false))
        #expect(try JobDocument.decode(BSONReader.decode(bytes), operation: "test") == job)
    }

    @Test func unsetFieldsAreNullAsTheNodeVersionWritesThem() {
        let document = JobDocument.encode(Fixture.job(), exclusiveKeyField: true)
        for field in ["payload", "output", "started_at", "ended_at", "worker_id"] {
            #expect(document[field] == .null, "\(field)")
        }
        #expect(document["cron_string"] == nil, "the Node version's simple jobs have none")
        #expect(document[JobDocument.exclusiveKey] == nil, "a concurrent job has no exclusive key")
        #expect(JobDocument.encode(JobOutput(error: "boom")) == ["duration": "--", "result": nil, "error": "boom"])
        let exclusive = JobDocument.encode(Fixture.job("report", concurrency: .exclusive), exclusiveKeyField: true)
        #expect(exclusive[JobDocument.exclusiveKey] == "report")
    }

    @Test func absentAndNullOptionalFieldsReadAsUnset() throws {
        let expected = Job(id: Self.id, name: "mail", scheduledFor: Fixture.now, updatedAt: Fixture.now, createdAt: Fixture.now)
        #expect(try JobDocument.decode(Self.minimal, operation: "test") == expected)
        let nulls = Self.minimal.merging([
            "payload": nil, "output": nil, "started_at": nil, "ended_at": nil, "worker_id": nil, "sync": nil,
            "cron_string": nil, "concurrency": nil,
        ])
        #expect(try JobDocument.decode(nulls, operation: "test") == expected)
        let emptyOutput = Self.minimal.merging(["output": [:], "concurrency": [:]])
        #expect(try JobDocument.decode(emptyOutput, operation: "test") == Job(
            id: Self.id, name: "mail", output: JobOutput(), scheduledFor: Fixture.now, updatedAt: Fixture.now,
            createdAt: Fixture.now))
    }

    @Test func aNullResultIsKeptAsTheResultOfAFinishedJobOnly() throws {
        let output: BSON = ["duration": "--", "result": nil, "error": nil]
        let finished = try JobDocument.decode(Self.minimal.merging(["status": "finished", "output": output]), operation: "test")
        #expect(finished.output == JobOutput(result: .null), "null returned by a handler is a result")
        let errored = try JobDocument.decode(Self.minimal.merging(["status": "errored", "output": output]), operation: "test")
        #expect(errored.output == JobOutput(), "the Node version writes a null result and a \"--\" duration for none")
    }

    @Test func eachTypeIsWrittenWithTheFieldsOfItsNodeValidatorBranch() throws {
        var task = Fixture.job("nightly", type: .cronTask, payload: ["ignored": true])
        task.cronString = "0 3 * * *"
        #expect(JobDocument.encode(task, exclusiveKeyField: false).keys == [
            "_id", "name", "type", "status", "output", "scheduled_for", "started_at", "ended_at", "updated_at",
            "created_at", "worker_id", "concurrency",
        ])
        let cron = Job(name: "nightly", type: .cron, scheduledFor: Fixture.now, updatedAt: Fixture.now,
                       createdAt: Fixture.now, cronString: "0 3 * * *")
        let document = JobDocument.encode(cron, exclusiveKeyField: false)
        #expect(document.keys == ["_id", "name", "type", "status", "cron_string", "scheduled_for", "updated_at", "created_at"])
        #expect(document["status"] == "active")
        #expect(try JobDocument.decode(document, operation: "test").status == .pending, "read as waiting for its tick")
    }

    @Test(arguments: [
        Malformation(field: "status", value: 42, expected: "field \"status\" should be a string, not int"),
        Malformation(field: "status", value: "zombie", expected: "field \"status\" has an unknown value \"zombie\""),
        Malformation(field: "name", value: nil, expected: "field \"name\" is missing"),
        Malformation(field: "scheduled_for", value: "2025-01-01", expected: "field \"scheduled_for\" should be a date, not string"),
        Malformation(field: "created_at", value: .null, expected: "field \"created_at\" is missing"),
        Malformation(field: "payload", value: "text", expected: "field \"payload\" should be a document, not string"),
        Malformation(field: "worker_id", value: "abc", expected: "field \"worker_id\" should be an ObjectId, not string"),
        Malformation(field: "sync", value: 1, expected: "field \"sync\" should be a boolean, not int"),
        Malformation(field: "output", value: ["skip_metadata": ["reason": "x", "skipped_at": "yesterday"]],
                     expected: "field \"output.skip_metadata.skipped_at\" should be a date, not string"),
        Malformation(field: "concurrency", value: ["mode": "solo"], expected: "field \"concurrency.mode\" has an unknown value"),
    ])
    func aMalformedFieldIsReportedWithTheJobIdAndTheField(_ malformation: Malformation) {
        var document = Self.minimal
        document[malformation.field] = malformation.value  // nil removes the field
        let error = #expect(throws: JobStoreError.self) { try JobDocument.decode(document, operation: "read job") }
        #expect(error?.code == .invalidDocument)
        #expect(error?.operation == "read job")
        #expect(error?.reason.hasPrefix("job 6650c0ffee0000000000abcd: ") == true, "\(error?.reason ?? "")")
        #expect(error?.reason.contains(malformation.expected) == true, "\(error?.reason ?? "")")
    }

    @Test func aDocumentWithoutAnObjectIdIsNamedByWhatItHas() {
        var document = Self.minimal
        document["_id"] = "legacy-1"
        #expect(throws: JobStoreError.self) { try JobDocument.decode(document, operation: "test") }
        #expect(StoredDocumentReader(document, kind: "job", operation: "test").subject == "job \"legacy-1\"")
        document["_id"] = nil
        #expect(StoredDocumentReader(document, kind: "job", operation: "test").subject == "job without _id")
        document["_id"] = ["nested": true]
        #expect(StoredDocumentReader(document, kind: "job", operation: "test").subject == "job with an _id of type object")
    }

    @Test func malformedWorkersAndSignalsAreReportedWithTheirIdAndField() {
        let id = ObjectId()
        let worker: BSONDocument = ["_id": .objectId(id), "hostname": "h", "lastSeen": .date(Fixture.now), "tags": ["a", 1]]
        let workerError = #expect(throws: JobStoreError.self) { try WorkerDocument.decode(worker, operation: "list workers") }
        #expect(workerError?.reason == "worker \(id): field \"tags\" should be an array of strings, not array")
        let signal: BSONDocument = ["_id": .objectId(id), "type": "pause", "job_id": .objectId(id), "worker_id": .objectId(id),
                                    "created_at": .date(Fixture.now)]
        let signalError = #expect(throws: JobStoreError.self) { try SignalDocument.decode(signal, operation: "signals") }
        #expect(signalError?.reason == "signal \(id): field \"type\" has an unknown value \"pause\"")
    }

    @Test func workersAndSignalsRoundTripThroughTheirDocuments() throws {
        for worker in [Fixture.worker(), Fixture.worker(tags: ["gpu"])] {
            let document = WorkerDocument.fields(worker).merging(["_id": .objectId(worker.id)])
            #expect(try WorkerDocument.decode(document, operation: "test") == worker)
        }
        let signal = SignalRecord(kind: .kill, jobId: ObjectId(), workerId: ObjectId(), createdAt: Fixture.now, acknowledged: true)
        #expect(try SignalDocument.decode(SignalDocument.encode(signal), operation: "test") == signal)
        var unacknowledged = SignalDocument.encode(signal)
        unacknowledged["ack"] = nil
        #expect(try SignalDocument.decode(unacknowledged, operation: "test").acknowledged == false)
    }
}
