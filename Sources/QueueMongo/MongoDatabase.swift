import Foundation
import BSON
import Queue

/// A MongoDB database reached through libmongoc: a client pool and the I/O threads that make
/// its blocking calls.
///
/// Every call runs on an I/O thread with its own client; the async methods suspend the caller
/// (never block it), and ``submit(_:_:completion:)`` hands the result to a callback, which is
/// how the event loop uses it without waiting.
public final class MongoDatabase: Sendable {
    /// The database name.
    public let name: String
    /// The connection string, password redacted.
    public let redactedURI: String
    private let pool: MongoClientPool
    private let threads: IOThreadPool

    /// Commands sent to the server so far (libmongoc command monitoring).
    public var commandsSent: Int { pool.commands.total }

    /// Creates the client pool and starts `ioThreads` threads. Does not contact the server: use
    /// ``ping()`` to check that it is reachable.
    /// - Throws: ``MongoError`` with code `invalidURI` for a malformed connection string.
    public static func connect(
        _ uri: MongoConnectionString, database: String, ioThreads: Int = 4,
        serverSelectionTimeout: Duration = .seconds(5)
    ) throws(MongoError) -> MongoDatabase {
        let timeoutMS = Int32(clamping: serverSelectionTimeout.components.seconds * 1000
            + serverSelectionTimeout.components.attoseconds / 1_000_000_000_000_000)
        // One client per I/O thread, and one for a change stream's own thread.
        let pool = try MongoClientPool(uri, maxSize: ioThreads + 1, serverSelectionTimeoutMS: timeoutMS)
        let database = MongoDatabase(name: database, redactedURI: uri.redacted, pool: pool, ioThreads: ioThreads)
        database.threads.start()
        return database
    }

    private init(name: String, redactedURI: String, pool: MongoClientPool, ioThreads: Int) {
        self.name = name
        self.redactedURI = redactedURI
        self.pool = pool
        threads = IOThreadPool(name: "mongo-io", threads: ioThreads)
    }

    /// Checks that the server answers.
    public func ping() async throws(MongoError) {
        _ = try await run("ping") { client throws(MongoError) in
            try client.runCommand(["ping": 1], in: self.name)
        }
    }

    /// Runs `body` with a client on an I/O thread and returns its result.
    package func run<Result: Sendable>(
        _ operation: String, retryingReads: Bool = false,
        _ body: @escaping @Sendable (MongoClient) throws(MongoError) -> Result
    ) async throws(MongoError) -> Result {
        let outcome: Swift.Result<Result, MongoError> = await withCheckedContinuation { continuation in
            submit(operation, retryingReads: retryingReads, body) { continuation.resume(returning: $0) }
        }
        return try outcome.get()
    }

    /// Runs `body` with a client on an I/O thread and passes the outcome to `completion` on that
    /// thread. With `retryingReads`, a network or not-primary failure is retried once (only for
    /// idempotent bodies).
    func submit<Result: Sendable>(
        _ operation: String, retryingReads: Bool = false,
        _ body: @escaping @Sendable (MongoClient) throws(MongoError) -> Result,
        completion: @escaping @Sendable (Swift.Result<Result, MongoError>) -> Void
    ) {
        let accepted = threads.submit { [pool] in
            let outcome = pool.withClient { client in
                let first = Swift.Result { () throws(MongoError) in try body(client) }
                if retryingReads, case .failure(let error) = first, error.isTransient {
                    return Swift.Result { () throws(MongoError) in try body(client) }
                }
                return first
            }
            completion(outcome)
        }
        if !accepted {
            completion(.failure(MongoError(.other, operation: operation, message: "the database connection is closed")))
        }
    }

    /// Runs `body` with a client on the calling thread: for a thread of its own that blocks for
    /// long (a change stream), never for the loop or the cooperative pool.
    func withDedicatedClient<Result>(_ body: (MongoClient) throws -> Result) rethrows -> Result {
        try pool.withClient(body)
    }

    /// Finishes the calls already submitted, then stops the I/O threads. Later calls fail.
    public func close() { threads.shutdown() }
}
