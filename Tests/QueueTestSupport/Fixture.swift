import BSON
import QueueTesting

/// Jobs, crons, workers and instants for the tests: the conformance suite's own, so that a
/// store's tests and the suite build on the same values.
public typealias Fixture = JobStoreConformance.Fixture

extension JobStoreConformance.Fixture {
    /// The id of ``minimalJobDocument``.
    public static let minimalJobId = ObjectId("6650c0ffee0000000000abcd")!

    /// A job document with only its required fields, as another tool may write it: what the
    /// document decoder and each store's reads of foreign documents start from.
    public static let minimalJobDocument: BSONDocument = [
        "_id": .objectId(minimalJobId), "name": "mail", "type": "simple", "status": "pending",
        "scheduled_for": .date(now), "updated_at": .date(now), "created_at": .date(now),
    ]
}
