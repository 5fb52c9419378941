import CMongoC
import BSON
import Queue

/// The collection operations the stores need, over libmongoc's collection API.
///
/// Blocking; used on an I/O thread within one ``MongoClientPool/withClient(_:)`` call. Every
/// failure is a ``MongoError`` naming the operation and the namespace.
package final class MongoCollection {
    private let handle: OpaquePointer
    /// `database.collection`, for error messages.
    let namespace: String

    init(_ handle: OpaquePointer, namespace: String) {
        self.handle = handle
        self.namespace = namespace
    }

    deinit { mongoc_collection_destroy(handle) }

    /// What an update did.
    struct UpdateResult: Sendable, Equatable {
        var matched: Int
        var modified: Int
        var upserted: Int
    }

    /// Inserts one document.
    package func insertOne(_ document: BSONDocument) throws(MongoError) {
        try call("insert") { error in
            document.withBSON { mongoc_collection_insert_one(handle, $0, nil, nil, error) }
        }
    }

    /// Inserts each document in one unordered `insert` command (libmongoc splits it only past
    /// the server's limits, 100,000 documents or 48 MB): a document the server refuses (a
    /// unique index, a validator) does not stop the others.
    /// - Returns: the documents the server refused, by their index in `documents`; every other
    ///   one was stored.
    /// - Throws: ``MongoError`` when the command itself failed (network, not primary, write
    ///   concern), in which case it is unknown which documents were stored.
    func insertEach(_ documents: [BSONDocument]) throws(MongoError) -> [Int: MongoError] {
        guard !documents.isEmpty else { return [:] }
        let operation = "insert (\(documents.count) documents) on \(namespace)"
        let bsons = documents.map { document in
            BSONWriter.encode(document).withUnsafeBufferPointer { bson_new_from_data($0.baseAddress, $0.count)! }
        }
        defer { bsons.forEach { bson_destroy($0) } }
        var pointers: [OpaquePointer?] = bsons
        let options: BSONDocument = ["ordered": false]
        let reply = BSONReply()
        var error = bson_error_t()
        let inserted = pointers.withUnsafeMutableBufferPointer { buffer in
            options.withBSON { mongoc_collection_insert_many(handle, buffer.baseAddress, buffer.count, $0, reply.pointer, &error) }
        }
        let result = try reply.decoded(operation: operation)
        return try Self.refusals(in: result, commandRan: inserted, error: error, operation: operation)
    }

    /// The documents or statements a batch command's reply says the server refused, by their
    /// index in the batch. Only refusals inside a command that ran leave the rest known to be
    /// applied; when the command itself failed (network, not primary, write concern) it is
    /// unknown what the batch did, and this throws that failure.
    private static func refusals(
        in result: BSONDocument, commandRan: Bool, error: bson_error_t, operation: String
    ) throws(MongoError) -> [Int: MongoError] {
        let writeErrors = result["writeErrors"]?.arrayValue ?? []
        if !commandRan {
            let failure = MongoError(error, operation: operation)
            let writeConcernErrors = result["writeConcernErrors"]?.arrayValue ?? []
            if writeErrors.isEmpty || failure.isTransient || !writeConcernErrors.isEmpty { throw failure }
        }
        var refused: [Int: MongoError] = [:]
        for case .document(let writeError) in writeErrors {
            guard let index = writeError["index"]?.intValue else { continue }
            refused[index] = MongoError(
                writeError: UInt32(clamping: writeError["code"]?.intValue ?? 0), operation: operation,
                message: writeError["errmsg"]?.stringValue ?? "")
        }
        return refused
    }

    /// Updates the first document matching `filter` (`update` is an update document or a
    /// pipeline array).
    @discardableResult
    func updateOne(_ filter: BSONDocument, _ update: BSON, upsert: Bool = false) throws(MongoError) -> UpdateResult {
        try runUpdate(filter, update, upsert: upsert, many: false)
    }

    /// Updates every document matching `filter`.
    @discardableResult
    func updateMany(_ filter: BSONDocument, _ update: BSON) throws(MongoError) -> UpdateResult {
        try runUpdate(filter, update, upsert: false, many: true)
    }

    /// What an unordered batch of updates did: the documents matched and modified by the
    /// statements that were applied, and the statements the server refused, by index.
    struct BatchUpdateResult: Sendable {
        var matched: Int
        var modified: Int
        /// Statements the server refused (write errors), by their index in the batch; every other
        /// statement was applied.
        var refused: [Int: MongoError]
    }

    /// Applies each statement (a filter and an update document, to the first match) in one
    /// unordered `update` command, so `n` updates cost one round trip instead of `n`: the server
    /// applies each on its own, in any order. libmongoc would split a batch only past the
    /// server's limits (100,000 statements or 48 MB).
    ///
    /// A statement the server refuses does not stop the others: it is reported in `refused`.
    /// - Throws: ``MongoError`` when the command itself failed (network, not primary, write
    ///   concern), in which case it is unknown which statements were applied.
    func updateEach(_ statements: [(filter: BSONDocument, update: BSONDocument)]) throws(MongoError) -> BatchUpdateResult {
        guard !statements.isEmpty else { return BatchUpdateResult(matched: 0, modified: 0, refused: [:]) }
        let operation = "update (\(statements.count) statements) on \(namespace)"
        let options: BSONDocument = ["ordered": false]
        let bulk = options.withBSON { mongoc_collection_create_bulk_operation_with_opts(handle, $0)! }
        defer { mongoc_bulk_operation_destroy(bulk) }
        for statement in statements {
            // The bulk operation copies each statement into its command, so the bson_t may go.
            try call("update") { error in
                statement.filter.withBSON { filter in
                    statement.update.withBSON { mongoc_bulk_operation_update_one_with_opts(bulk, filter, $0, nil, error) }
                }
            }
        }
        let reply = BSONReply()
        var error = bson_error_t()
        let executed = mongoc_bulk_operation_execute(bulk, reply.pointer, &error) != 0
        let result = try reply.decoded(operation: operation)
        let refused = try Self.refusals(in: result, commandRan: executed, error: error, operation: operation)
        return BatchUpdateResult(
            matched: result["nMatched"]?.intValue ?? 0, modified: result["nModified"]?.intValue ?? 0, refused: refused)
    }

    /// Deletes every document matching `filter`; returns how many.
    @discardableResult
    func deleteMany(_ filter: BSONDocument) throws(MongoError) -> Int {
        let reply = BSONReply()
        try call("delete") { error in
            filter.withBSON { mongoc_collection_delete_many(handle, $0, nil, reply.pointer, error) }
        }
        return try reply.decoded(operation: "delete on \(namespace)")["deletedCount"]?.intValue ?? 0
    }

    /// Atomically finds the first document matching `query` in `sort` order and applies
    /// `update` (or removes it), returning the document after (or before) the change.
    func findAndModify(
        _ query: BSONDocument, update: BSON? = nil, remove: Bool = false, sort: BSONDocument? = nil,
        upsert: Bool = false, returnNew: Bool = true, fields: BSONDocument? = nil
    ) throws(MongoError) -> BSONDocument? {
        let options = mongoc_find_and_modify_opts_new()!
        defer { mongoc_find_and_modify_opts_destroy(options) }
        var flags = MONGOC_FIND_AND_MODIFY_NONE.rawValue
        if remove { flags |= MONGOC_FIND_AND_MODIFY_REMOVE.rawValue }
        if upsert { flags |= MONGOC_FIND_AND_MODIFY_UPSERT.rawValue }
        if returnNew, !remove { flags |= MONGOC_FIND_AND_MODIFY_RETURN_NEW.rawValue }
        _ = mongoc_find_and_modify_opts_set_flags(options, mongoc_find_and_modify_flags_t(rawValue: flags))
        // The setters copy their argument, so each bson_t may be freed right after.
        if let sort { _ = sort.withBSON { mongoc_find_and_modify_opts_set_sort(options, $0) } }
        if let update { _ = Self.updateDocument(update).withBSON { mongoc_find_and_modify_opts_set_update(options, $0) } }
        if let fields { _ = fields.withBSON { mongoc_find_and_modify_opts_set_fields(options, $0) } }
        let reply = BSONReply()
        try call("findAndModify") { error in
            query.withBSON { mongoc_collection_find_and_modify_with_opts(handle, $0, options, reply.pointer, error) }
        }
        let value = try reply.decoded(operation: "findAndModify on \(namespace)")["value"]
        return value?.documentValue
    }

    /// The documents matching `filter`, in `sort` order, at most `limit` (0: no limit).
    package func find(
        _ filter: BSONDocument = [:], sort: BSONDocument? = nil, limit: Int = 0, skip: Int = 0,
        projection: BSONDocument? = nil
    ) throws(MongoError) -> [BSONDocument] {
        var options = BSONDocument()
        if let sort { options["sort"] = .document(sort) }
        if limit > 0 { options["limit"] = BSON(limit) }
        if skip > 0 { options["skip"] = BSON(skip) }
        if let projection { options["projection"] = .document(projection) }
        let cursor = filter.withBSON { filterBSON in
            options.withBSON { mongoc_collection_find_with_opts(handle, filterBSON, $0, nil)! }
        }
        return try drain(cursor, operation: "find")
    }

    /// Runs an aggregation pipeline and returns every result document.
    func aggregate(_ pipeline: [BSONDocument]) throws(MongoError) -> [BSONDocument] {
        let stages: BSONDocument = ["pipeline": .array(pipeline.map { .document($0) })]
        let cursor = stages.withBSON { mongoc_collection_aggregate(handle, MONGOC_QUERY_NONE, $0, nil, nil)! }
        return try drain(cursor, operation: "aggregate")
    }

    /// Opens a change stream on this collection (the caller destroys it with
    /// `mongoc_change_stream_destroy`, on this thread, before the client goes back to the pool).
    func watch(_ pipeline: [BSONDocument], options: BSONDocument) -> OpaquePointer {
        let stages: BSONDocument = ["pipeline": .array(pipeline.map { .document($0) })]
        return stages.withBSON { pipelineBSON in
            options.withBSON { mongoc_collection_watch(handle, pipelineBSON, $0)! }
        }
    }

    /// How many documents match `filter`, counting no further than `limit` when given.
    func count(_ filter: BSONDocument = [:], limit: Int? = nil) throws(MongoError) -> Int {
        var error = bson_error_t()
        let options: BSONDocument = limit.map { ["limit": BSON($0)] } ?? [:]
        let count = filter.withBSON { filterBSON in
            options.withBSON { mongoc_collection_count_documents(handle, filterBSON, $0, nil, nil, &error) }
        }
        guard count >= 0 else { throw MongoError(error, operation: "count on \(namespace)") }
        return Int(count)
    }

    private func runUpdate(_ filter: BSONDocument, _ update: BSON, upsert: Bool, many: Bool) throws(MongoError) -> UpdateResult {
        let reply = BSONReply()
        let options: BSONDocument = upsert ? ["upsert": true] : [:]
        let updateDocument = Self.updateDocument(update)
        try call(many ? "update (many)" : "update") { error in
            filter.withBSON { filterBSON in
                updateDocument.withBSON { updateBSON in
                    options.withBSON { optionsBSON in
                        many
                            ? mongoc_collection_update_many(handle, filterBSON, updateBSON, optionsBSON, reply.pointer, error)
                            : mongoc_collection_update_one(handle, filterBSON, updateBSON, optionsBSON, reply.pointer, error)
                    }
                }
            }
        }
        let result = try reply.decoded(operation: "update on \(namespace)")
        return UpdateResult(
            matched: result["matchedCount"]?.intValue ?? 0, modified: result["modifiedCount"]?.intValue ?? 0,
            upserted: result["upsertedCount"]?.intValue ?? 0)
    }

    /// An update document as libmongoc takes it: a pipeline array becomes a document whose keys
    /// are "0", "1"..., which libmongoc recognises as a pipeline.
    private static func updateDocument(_ update: BSON) -> BSONDocument {
        switch update {
        case .document(let document): document
        case .array(let stages): BSONDocument(stages.enumerated().map { (String($0.offset), $0.element) })
        default: [:]
        }
    }

    /// Every document of the cursor. One that cannot be read whole (nested deeper than the
    /// reader goes) is returned with the fields read before the failure, `_id` first as the
    /// server writes it, and ``JobDocument/unreadableField`` saying why: one bad document never fails the
    /// read of the others (SPEC §7), and its reader reports it by its id.
    private func drain(_ cursor: OpaquePointer, operation: String) throws(MongoError) -> [BSONDocument] {
        defer { mongoc_cursor_destroy(cursor) }
        var documents: [BSONDocument] = []
        var current: OpaquePointer? = nil
        while mongoc_cursor_next(cursor, &current) {
            do { documents.append(try BSONDocument(copying: current!)) } catch {
                var partial = BSONDocument(partiallyCopying: current!)
                partial[JobDocument.unreadableField] = .string(error.description)
                documents.append(partial)
            }
        }
        var error = bson_error_t()
        if mongoc_cursor_error(cursor, &error) { throw MongoError(error, operation: "\(operation) on \(namespace)") }
        return documents
    }

    private func call(_ operation: String, _ body: (UnsafeMutablePointer<bson_error_t>) -> Bool) throws(MongoError) {
        var error = bson_error_t()
        guard body(&error) else { throw MongoError(error, operation: "\(operation) on \(namespace)") }
    }
}

@available(*, unavailable, message: "a libmongoc collection belongs to the thread that popped its client")
extension MongoCollection: Sendable {}
