import Foundation
import Logging
import Synchronization
import BSON
import Queue
import QueueMongo
import QueueSQLite

/// Runs `body` with a prepared ``MongoJobStore`` on a fresh database, and that database for
/// raw reads and writes.
package func withMongoStore(
    exclusivity: MongoJobStore.ExclusivityEnforcement = .partialIndex,
    _ body: (MongoJobStore, MongoDatabase) async throws -> Void
) async throws {
    let database = try TestMongo.database()
    defer { database.close() }
    let store = MongoJobStore(database: database, logger: Logger.silent, exclusivity: exclusivity, retention: .fixtureSafe, workerExpiry: .fixtureSafe)
    try await store.prepare()
    try await body(store, database)
}

/// How many commands `body` sends to the server.
package func commands(_ database: MongoDatabase, _ body: () async throws -> Void) async throws -> Int {
    let before = database.commandsSent
    try await body()
    return database.commandsSent - before
}

/// The stored document of job `id`, as the server holds it.
package func rawJob(_ id: ObjectId, _ database: MongoDatabase) async throws -> BSONDocument? {
    let name = database.name
    return try await database.run("raw job") { client throws(MongoError) in
        try client.collection(MongoJobStore.jobsCollection, in: name).find(["_id": .objectId(id)]).first
    }
}

/// Stores `document` in `collection` as is, bypassing the store (documents of other tools).
package func insertRaw(_ document: BSONDocument, into collection: String = MongoJobStore.jobsCollection, _ database: MongoDatabase) async throws {
    let name = database.name
    try await database.run("raw insert") { client throws(MongoError) in
        try client.collection(collection, in: name).insertOne(document)
    }
}

/// The indexes of `collection`, by name.
package func indexes(_ collection: String, _ database: MongoDatabase) async throws -> [String: BSONDocument] {
    let name = database.name
    let reply = try await database.run("listIndexes") { client throws(MongoError) in
        try client.runCommand(["listIndexes": .string(collection)], in: name)
    }
    let specifications = reply[path: "cursor.firstBatch"]?.arrayValue?.compactMap(\.documentValue) ?? []
    return Dictionary(specifications.map { ($0["name"]?.stringValue ?? "", $0) }, uniquingKeysWith: { first, _ in first })
}

extension Logger {
    /// A logger that drops everything: the stores' expected warnings stay out of test output.
    public static let silent = Logger(label: "test.silent") { _ in SwiftLogNoOpLogHandler() }
}

/// A log handler that keeps the messages it receives, for tests of what a store logs.
public struct RecordingLogHandler: LogHandler {
    /// The messages, shared by the copies swift-log makes of the handler.
    public final class Records: Sendable {
        public init() {}
        private let entries = Mutex<[(level: Logger.Level, message: String)]>([])
        public var all: [(level: Logger.Level, message: String)] { entries.withLock { $0 } }
        public func append(_ level: Logger.Level, _ message: String) { entries.withLock { $0.append((level, message)) } }
    }

    public let records: Records
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(records: Records) { self.records = records }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) { records.append(event.level, "\(event.message)") }
}
