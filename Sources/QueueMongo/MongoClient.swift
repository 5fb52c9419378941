import CMongoC
import BSON
import Queue

/// One libmongoc client, lent by ``MongoClientPool/withClient(_:)`` for the length of a call on
/// one I/O thread. Not Sendable: it must not leave that call.
package struct MongoClient {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    /// The collection `name` of database `database`, valid for this call.
    package func collection(_ name: String, in database: String) -> MongoCollection {
        MongoCollection(mongoc_client_get_collection(handle, database, name)!, namespace: "\(database).\(name)")
    }

    /// Runs a database command (`ping`, `createIndexes`, ...) and returns the server's reply.
    package func runCommand(_ command: BSONDocument, in database: String) throws(MongoError) -> BSONDocument {
        let name = command.first?.key ?? "command"
        let reply = BSONReply()
        var error = bson_error_t()
        let ok = command.withBSON { bson in
            let db = mongoc_client_get_database(handle, database)!
            defer { mongoc_database_destroy(db) }
            return mongoc_database_command_with_opts(db, bson, nil, nil, reply.pointer, &error)
        }
        guard ok else { throw MongoError(error, operation: "\(name) on \(database)") }
        return try reply.decoded(operation: "\(name) on \(database)")
    }
}

@available(*, unavailable, message: "a libmongoc client belongs to the thread that popped it")
extension MongoClient: Sendable {}

extension BSONReply {
    /// The reply as a document, with a BSON failure reported as a ``MongoError``.
    func decoded(operation: String) throws(MongoError) -> BSONDocument {
        do { return try document() } catch {
            throw MongoError(.invalidDocument, operation: operation, message: error.description)
        }
    }
}
