import Foundation
import BSON
import Queue
import QueueMongo
import QueueSQLite

/// The MongoDB server the tests use: `MONGODB_URI`, which `scripts/test` sets by starting the
/// emulator when it is unset. Without it, database tests fail: they never skip, since a skipped
/// suite would let CI pass untested.
public enum TestMongo {
    public struct NotConfigured: Error, CustomStringConvertible {
        public var description: String {
            "MONGODB_URI is not set: run the tests with scripts/test, which starts the MongoDB test server"
        }
    }

    /// The connection string from `MONGODB_URI`.
    public static func uri() throws -> MongoConnectionString {
        guard let raw = ProcessInfo.processInfo.environment["MONGODB_URI"], !raw.isEmpty else {
            throw NotConfigured()
        }
        return try MongoConnectionString(raw)
    }

    /// A fresh database with a unique name, so tests never see each other's documents.
    public static func database(ioThreads: Int = 2) throws -> MongoDatabase {
        try database(named: uniqueDatabaseName(), ioThreads: ioThreads)
    }

    /// A connection to database `name`: a second one onto a database is another process's view.
    /// A call waits up to a minute for the server (unless `MONGODB_URI` says otherwise): in the
    /// parallel phase one emulator serves every test, and an insert of 1,000 jobs keeps it busy
    /// for seconds, past the 5 s a worker waits by default.
    public static func database(named name: String, ioThreads: Int = 2) throws -> MongoDatabase {
        try MongoDatabase.connect(uri(), database: name, ioThreads: ioThreads, serverSelectionTimeout: .seconds(60))
    }

    /// A database name no other test uses.
    public static func uniqueDatabaseName() -> String { "test_\(ObjectId())" }
}

extension Duration {
    /// A retention long enough that jobs ended at the fixtures' dates (2025) are not deleted by
    /// the TTL index while a test reads them (50 years: the server takes at most 2^31 s).
    public static let fixtureSafe = Duration.seconds(50 * 365 * 24 * 3600)
}
