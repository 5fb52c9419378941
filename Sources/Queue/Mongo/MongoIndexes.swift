import CMongoC
import Foundation

/// One index the store creates: named, so that ``MongoJobStore/prepare()`` is idempotent (the
/// server accepts an identical index again) and tools can list it.
struct MongoIndex: Sendable, Hashable {
    var collection: String
    var name: String
    var keys: BSONDocument
    var unique = false
    var sparse = false
    var partialFilter: BSONDocument?
    /// For a TTL index: documents whose indexed date is older than this are deleted.
    var expireAfterSeconds: Int?

    /// The entry of a `createIndexes` command.
    var specification: BSONDocument {
        var specification: BSONDocument = ["key": .document(keys), "name": .string(name)]
        if unique { specification["unique"] = true }
        if sparse { specification["sparse"] = true }
        if let partialFilter { specification["partialFilterExpression"] = .document(partialFilter) }
        if let expireAfterSeconds { specification["expireAfterSeconds"] = BSON(expireAfterSeconds) }
        return specification
    }
}

/// The indexes of the three collections, one per hot query (SPEC §5). Ordinary indexes carry
/// MongoDB's default names, so an identical index made by another tool is not a conflict.
enum MongoIndexes {
    /// Claim and `nextDue`: equality on status and name, then the earliest `scheduled_for`.
    /// `_id` ends the key because it breaks ties in the sort: with it the server merges the
    /// (status, name) ranges in order instead of sorting every due job in memory.
    static let claim = MongoIndex(
        collection: MongoJobStore.jobsCollection, name: "status_1_name_1_scheduled_for_1__id_1",
        keys: ["status": 1, "name": 1, "scheduled_for": 1, "_id": 1])
    /// Status views and `jobs(matching:)` by name and status, newest first (`_id` breaks ties).
    static let byNameAndStatus = MongoIndex(
        collection: MongoJobStore.jobsCollection, name: "name_1_status_1_created_at_-1__id_-1",
        keys: ["name": 1, "status": 1, "created_at": -1, "_id": -1])
    /// The newest jobs of any name (history views).
    static let byCreation = MongoIndex(
        collection: MongoJobStore.jobsCollection, name: "created_at_-1__id_-1", keys: ["created_at": -1, "_id": -1])
    /// What a worker runs: the dead-worker takeover and the status view.
    static let byWorker = MongoIndex(
        collection: MongoJobStore.jobsCollection, name: "worker_id_1_status_1", keys: ["worker_id": 1, "status": 1])
    /// The dead-worker scan: workers not seen since a time.
    static let workersByLastSeen = MongoIndex(
        collection: MongoJobStore.workersCollection, name: "lastSeen_1", keys: ["lastSeen": 1])
    /// A worker's unacknowledged signals, oldest first.
    static let signalsByWorker = MongoIndex(
        collection: MongoJobStore.signalsCollection, name: "worker_id_1_ack_1_created_at_1",
        keys: ["worker_id": 1, "ack": 1, "created_at": 1])

    /// Retention: the server deletes ended jobs once `ended_at` is older than `seconds`. Jobs
    /// that have not ended have a null `ended_at`, which a TTL index never expires.
    static func retention(seconds: Int) -> MongoIndex {
        MongoIndex(collection: MongoJobStore.jobsCollection, name: "ended_at_ttl", keys: ["ended_at": 1],
                   expireAfterSeconds: seconds)
    }

    /// One document per cron name, even when replicas start together and upsert at once.
    static let cronByName = MongoIndex(
        collection: MongoJobStore.jobsCollection, name: "cron_name", keys: ["name": 1, "type": 1], unique: true,
        partialFilter: ["type": .string(JobType.cron.rawValue)])

    /// The documents that hold an exclusive name: exclusive jobs in an active status.
    static let exclusiveFilter: BSONDocument = [
        "concurrency.mode": .string(ConcurrencyMode.exclusive.rawValue), "status": ["$in": JobDocument.active],
    ]
    /// Exclusivity, preferred form: at most one active exclusive job per name.
    static let exclusiveActiveName = MongoIndex(
        collection: MongoJobStore.jobsCollection, name: "exclusive_active_name", keys: ["name": 1], unique: true,
        partialFilter: exclusiveFilter)
    /// Exclusivity, fallback form: `exclusive_key` holds the name only while the job is active
    /// and exclusive; sparse, so that every other job (without the field) is left out.
    static let exclusiveKey = MongoIndex(
        collection: MongoJobStore.jobsCollection, name: "exclusive_key", keys: [JobDocument.exclusiveKey: 1],
        unique: true, sparse: true)

    /// Every index but the exclusivity one, which depends on what the server accepts.
    static let common: [MongoIndex] = [
        claim, byNameAndStatus, byCreation, byWorker, workersByLastSeen, signalsByWorker, cronByName,
    ]

    /// Whether `error`, from creating the partial index, means that the server does not support
    /// it (an unsupported operator or option), rather than a failure to report: an unreachable
    /// server, missing rights, a conflicting index (codes 85, 86) or data that already break
    /// exclusivity (a duplicate key) are errors a fallback would only hide.
    static func refusesPartialIndex(_ error: MongoError) -> Bool {
        guard !error.isTransient, error.code != .duplicateKey else { return false }
        let notARefusal: Set<UInt32> = [13, 85, 86]  // Unauthorized, IndexOptionsConflict, IndexKeySpecsConflict
        return error.domain == MONGOC_ERROR_SERVER.rawValue && !notARefusal.contains(error.serverCode)
    }
}

extension MongoJobStore {
    /// How the database enforces that an `exclusive` name has at most one `pending`, `running`
    /// or `paused` job (SPEC §4): always a unique index, in one of two forms.
    public struct ExclusivityEnforcement: Sendable, Hashable, CustomStringConvertible {
        private let name: String

        /// A partial unique index on `name` over exclusive jobs in an active status
        /// (`exclusive_active_name`). Needs no extra field. When the server refuses partial
        /// indexes, ``MongoJobStore/prepare()`` logs a warning once and switches to
        /// ``exclusiveKeyField``.
        public static let partialIndex = ExclusivityEnforcement(name: "partial unique index")

        /// A sparse unique index on `exclusive_key` (also named `exclusive_key`), a field that
        /// holds the job's name while the job is exclusive and active and is unset, in the same
        /// atomic write, when it ends. For servers without partial indexes. Every process using
        /// a database must use the same form; `partialIndex` picks the same one for a given
        /// server on every process.
        public static let exclusiveKeyField = ExclusivityEnforcement(name: "sparse unique index on exclusive_key")

        /// The form's name, for logs.
        public var description: String { name }
    }

    /// Creates the indexes (idempotent: the server accepts identical indexes again), and with
    /// them the collections. Four commands: one per collection, one for exclusivity (two more
    /// when the server refuses the partial index).
    public func prepare() async throws(JobStoreError) {
        let byCollection = Dictionary(grouping: MongoIndexes.common, by: \.collection)
        for collection in [Self.jobsCollection, Self.workersCollection, Self.signalsCollection] {
            try await createIndexes(byCollection[collection] ?? [])
        }
        do throws(MongoError) {
            try await createIndexesOrFail([MongoIndexes.retention(seconds: retentionSeconds)])
        } catch {
            logger.warning("the server refused the TTL index: ended jobs are not deleted after the retention period",
                           metadata: ["error": "\(error)"])
        }
        if exclusivity == .partialIndex {
            do throws(MongoError) {
                try await createIndexesOrFail([MongoIndexes.exclusiveActiveName])
                return
            } catch where MongoIndexes.refusesPartialIndex(error) {
                fallBack(because: error)
            } catch {
                throw JobStoreError(error, operation: "create index \(MongoIndexes.exclusiveActiveName.name)")
            }
        }
        try await createIndexes([MongoIndexes.exclusiveKey])
    }

    /// Switches to the fallback enforcement, logging it the first time.
    func fallBack(because error: MongoError) {
        let changed = enforcement.withLock { enforcement in
            defer { enforcement = .exclusiveKeyField }
            return enforcement != .exclusiveKeyField
        }
        if changed {
            logger.warning(
                "the server refused the partial unique index for exclusive jobs; enforcing exclusivity with a sparse unique index on exclusive_key",
                metadata: ["error": "\(error)"])
        }
    }

    private func createIndexes(_ indexes: [MongoIndex]) async throws(JobStoreError) {
        do throws(MongoError) { try await createIndexesOrFail(indexes) } catch {
            throw JobStoreError(error, operation: "create indexes \(indexes.map(\.name).joined(separator: ", "))")
        }
    }

    /// One `createIndexes` command for `indexes`, all of one collection.
    private func createIndexesOrFail(_ indexes: [MongoIndex]) async throws(MongoError) {
        guard let collection = indexes.first?.collection else { return }
        let command: BSONDocument = [
            "createIndexes": .string(collection), "indexes": .array(indexes.map { .document($0.specification) }),
        ]
        let name = database.name
        _ = try await database.run("createIndexes on \(collection)") { client throws(MongoError) in
            try client.runCommand(command, in: name)
        }
    }
}
