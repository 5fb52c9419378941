import CMongoC
import Foundation
import Logging
import BSON
import Queue

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
    /// `nextDue`: equality on status and name, then the earliest `scheduled_for`.
    /// `_id` ends the key because it breaks ties in the sort: with it the server merges the
    /// (status, name) ranges in order instead of sorting every due job in memory.
    static let claim = MongoIndex(
        collection: MongoJobStore.jobsCollection, name: "status_1_name_1_scheduled_for_1__id_1",
        keys: ["status": 1, "name": 1, "scheduled_for": 1, "_id": 1])
    /// Claims: equality on status and name, then the highest `priority` (missing on jobs of the
    /// default priority, one key for all of them), then the earliest `scheduled_for`, `_id`
    /// breaking ties, so that the server merges the ranges in claim order.
    static let claimByPriority = MongoIndex(
        collection: MongoJobStore.jobsCollection, name: "status_1_name_1_priority_-1_scheduled_for_1__id_1",
        keys: ["status": 1, "name": 1, "priority": -1, "scheduled_for": 1, "_id": 1])
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
    /// The dead-worker scan: workers not seen since a time. The Node version's index: the
    /// server deletes a worker document 5 minutes after its last heartbeat (its running jobs are
    /// then found by the scan for jobs whose worker is gone).
    static func workersByLastSeen(expiry seconds: Int) -> MongoIndex {
        MongoIndex(collection: MongoJobStore.workersCollection, name: "lastSeen_1", keys: ["lastSeen": 1],
                   expireAfterSeconds: seconds)
    }
    /// A worker's unacknowledged signals, oldest first.
    static let signalsByWorker = MongoIndex(
        collection: MongoJobStore.signalsCollection, name: "worker_id_1_ack_1_created_at_1",
        keys: ["worker_id": 1, "ack": 1, "created_at": 1])

    /// Retention: the server deletes ended jobs once `ended_at` is older than `seconds`. Jobs
    /// that have not ended have a null `ended_at`, which a TTL index never expires.
    /// The Node version's name, and its options with the default retention (90 days).
    static func retention(seconds: Int) -> MongoIndex {
        MongoIndex(collection: MongoJobStore.jobsCollection, name: "ended_at_1", keys: ["ended_at": 1],
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
    /// The documents that hold a unique key: jobs with one, in an active status.
    static let uniqueKeyFilter: BSONDocument = ["unique_key": ["$exists": true], "status": ["$in": JobDocument.active]]
    /// Unique keys: at most one active job per key. Partial, so that jobs without a key (nearly
    /// all) are not in it.
    static let uniqueKeyActive = MongoIndex(
        collection: MongoJobStore.jobsCollection, name: "unique_key_active", keys: ["unique_key": 1], unique: true,
        partialFilter: uniqueKeyFilter)

    /// Unique keys, fallback form: `unique_key_held` holds the key only while the job is
    /// active; sparse, so that every other job (without the field) is left out.
    static let heldUniqueKey = MongoIndex(
        collection: MongoJobStore.jobsCollection, name: "unique_key_held", keys: [JobDocument.heldUniqueKey: 1],
        unique: true, sparse: true)

    /// Exclusivity, preferred form: at most one active exclusive job per name.
    static let exclusiveActiveName = MongoIndex(
        collection: MongoJobStore.jobsCollection, name: "exclusive_active_name", keys: ["name": 1], unique: true,
        partialFilter: exclusiveFilter)
    /// Exclusivity as the Node version enforces it, one index per runnable type (it refuses to
    /// start without both). Preferred over ``exclusiveActiveName``, which stands in for them on
    /// servers that cannot hold both beside each other (the test server).
    static let nodeExclusive: [MongoIndex] = [JobType.simple, .cronTask].map { type in
        MongoIndex(
            collection: MongoJobStore.jobsCollection, name: "\(type.rawValue)_exclusive_unique",
            keys: ["type": 1, "name": 1], unique: true,
            partialFilter: BSONDocument([("type", BSON.string(type.rawValue))]).merging(exclusiveFilter))
    }

    /// Exclusivity, fallback form: `exclusive_key` holds the name only while the job is active
    /// and exclusive; sparse, so that every other job (without the field) is left out.
    static let exclusiveKey = MongoIndex(
        collection: MongoJobStore.jobsCollection, name: "exclusive_key", keys: [JobDocument.exclusiveKey: 1],
        unique: true, sparse: true)

    /// Every index but the exclusivity one, which depends on what the server accepts, and the
    /// TTL ones, whose expiry the store is given.
    static let common: [MongoIndex] = [
        claim, claimByPriority, byNameAndStatus, byCreation, byWorker, signalsByWorker, cronByName,
    ]

    /// Whether `key` (from `listIndexes`) is `keys`: the same fields in the same order and
    /// directions, whatever numeric type the server used for them.
    static func sameKey(_ key: BSONDocument?, _ keys: BSONDocument) -> Bool {
        guard let key, key.count == keys.count else { return false }
        return zip(key, keys).allSatisfy { $0.key == $1.key && $0.value.doubleValue == $1.value.doubleValue }
    }

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

    /// Prepares the collections: finds whether the Node version's validator is installed on
    /// `job_processor.jobs` (then every write must pass it: see ``nodeValidatorInstalled``), and
    /// creates the indexes that are missing. An index already there on the same key, under any
    /// name and with any options (the Node version's, or an earlier one of ours), is adopted and
    /// never dropped or replaced; adopting one whose options differ from ours is logged once.
    /// The Node version's names and options are used where it has an index for the purpose
    /// (worker heartbeats, retention, exclusivity); the others carry MongoDB's default names on
    /// keys the Node version does not use, so neither side's index creation refuses the other's.
    public func prepare() async throws(JobStoreError) {
        let validator = try await jobsValidator()
        nodeValidator.store(validator != nil, ordering: .relaxed)
        if validator != nil {
            logger.info("the Node version's validator is installed on job_processor.jobs: writing only its fields")
        }
        var existing: [String: [BSONDocument]] = [:]
        for collection in [Self.jobsCollection, Self.workersCollection, Self.signalsCollection] {
            existing[collection] = try await indexes(of: collection)
        }
        let wanted = MongoIndexes.common + [
            MongoIndexes.retention(seconds: retentionSeconds), MongoIndexes.workersByLastSeen(expiry: workerExpirySeconds),
        ]
        for collection in [Self.jobsCollection, Self.workersCollection, Self.signalsCollection] {
            let missing = wanted.filter { $0.collection == collection && !adopts($0, among: existing[collection] ?? []) }
            if missing.contains(where: { $0.expireAfterSeconds != nil && $0.collection == Self.jobsCollection }) {
                try await createRetentionIndex()
            }
            try await createIndexes(missing.filter { !($0.expireAfterSeconds != nil && $0.collection == Self.jobsCollection) })
        }
        try await prepareExclusivity(existing: existing[Self.jobsCollection] ?? [])
        // Unique keys: a partial index, or, on a server that refuses those (the exclusivity
        // fallback), a sparse one on `unique_key_held`, set only while a job is active.
        let uniqueIndex = usesExclusiveKey ? MongoIndexes.heldUniqueKey : MongoIndexes.uniqueKeyActive
        if !adopts(uniqueIndex, among: existing[Self.jobsCollection] ?? []) {
            try await createIndexes([uniqueIndex])
        }
        if validator != nil, usesExclusiveKey {
            throw JobStoreError(.database, operation: "prepare", reason:
                "the Node version's validator forbids the exclusive_key field, and the server refused the partial unique indexes that replace it")
        }
    }

    /// Whether an index on `index`'s key is already among `existing` (index specifications as
    /// `listIndexes` returns them); logs the adoption when its name or options differ.
    private func adopts(_ index: MongoIndex, among existing: [BSONDocument]) -> Bool {
        guard let found = existing.first(where: { MongoIndexes.sameKey($0["key"]?.documentValue, index.keys) }) else {
            return false
        }
        let name = found["name"]?.stringValue ?? "?"
        let ttl = found["expireAfterSeconds"]?.intValue
        if name != index.name || ttl != index.expireAfterSeconds {
            var metadata: Logger.Metadata = ["index": "\(name)", "for": "\(index.name)"]
            if let ttl { metadata["expireAfterSeconds"] = "\(ttl)" }
            if index.expireAfterSeconds != nil, ttl != index.expireAfterSeconds {
                metadata["note"] = "its expiry applies, not ours (\(index.expireAfterSeconds ?? 0) s)"
            }
            logger.info("adopted an existing index on the same key", metadata: metadata)
        }
        return true
    }

    /// The TTL index on `ended_at`; a server that refuses TTL indexes leaves retention to the
    /// workers' hourly deletion, said once.
    private func createRetentionIndex() async throws(JobStoreError) {
        do throws(MongoError) {
            try await createIndexesOrFail([MongoIndexes.retention(seconds: retentionSeconds)])
        } catch {
            logger.notice("the server refused the TTL index on ended_at: workers delete ended jobs every hour instead",
                          metadata: ["error": "\(error)"])
        }
    }

    /// Exclusivity: the Node version's two partial indexes when the server holds both (adopted
    /// when present), else `exclusive_active_name` beside whichever it holds, else (a server
    /// without partial indexes) the `exclusive_key` fallback.
    private func prepareExclusivity(existing: [BSONDocument]) async throws(JobStoreError) {
        if exclusivity == .partialIndex {
            var held = 0
            for index in MongoIndexes.nodeExclusive {
                if existing.contains(where: { $0["name"]?.stringValue == index.name }) {
                    held += 1
                    continue
                }
                do throws(MongoError) {
                    try await createIndexesOrFail([index])
                    held += 1
                } catch where !error.isTransient {
                    // The test server holds one index per key pattern: the stand-in covers both types.
                    logger.debug("the server refused an index of the Node version's", metadata: ["index": "\(index.name)", "error": "\(error)"])
                } catch {
                    throw JobStoreError(error, operation: "create index \(index.name)")
                }
            }
            if held == MongoIndexes.nodeExclusive.count { return }
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

    /// The `$jsonSchema` validator of the jobs collection, or nil (no collection, or none).
    private func jobsValidator() async throws(JobStoreError) -> BSONDocument? {
        let name = database.name
        let command: BSONDocument = ["listCollections": 1, "filter": ["name": .string(Self.jobsCollection)]]
        let reply = try await run("list collections") { client throws(MongoError) in try client.runCommand(command, in: name) }
        let collections = reply[path: "cursor.firstBatch"]?.arrayValue ?? []
        return collections.first?.documentValue?[path: "options.validator"]?.documentValue
    }

    /// The index specifications of `collection`; none when it does not exist yet.
    private func indexes(of collection: String) async throws(JobStoreError) -> [BSONDocument] {
        let name = database.name
        let command: BSONDocument = ["listIndexes": .string(collection)]
        do throws(MongoError) {
            let reply = try await database.run("list indexes of \(collection)") { client throws(MongoError) in
                try client.runCommand(command, in: name)
            }
            return reply[path: "cursor.firstBatch"]?.arrayValue?.compactMap(\.documentValue) ?? []
        } catch where error.serverCode == 26 {  // NamespaceNotFound: created with its first index
            return []
        } catch {
            throw JobStoreError(error, operation: "list indexes of \(collection)")
        }
    }

    /// Runs a command for `prepare`, mapping failures.
    private func run(_ operation: String, _ body: @escaping @Sendable (MongoClient) throws(MongoError) -> BSONDocument)
        async throws(JobStoreError) -> BSONDocument
    {
        do throws(MongoError) { return try await database.run(operation, body) } catch {
            throw JobStoreError(error, operation: operation)
        }
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
