import CMongoC
import BSON
import Queue

/// libmongoc's client pool: the one way this library reaches MongoDB.
///
/// Rules (libmongoc's): a client is popped, used and pushed back on the same thread, and is
/// never shared; pool settings (error API, APM callbacks) are set before the first pop. Calls
/// block, so they run on the I/O threads of ``MongoDatabase``, never on the event loop.
final class MongoClientPool: @unchecked Sendable {  // the pool is thread-safe, clients are not
    private let pool: OpaquePointer
    /// Commands sent through this pool.
    let commands = MongoCommandCounter()

    /// Creates the pool. Connects lazily: an unreachable server is reported by the first call.
    /// - Parameters:
    ///   - maxSize: the most clients (connections) open at once: one per I/O thread is enough.
    ///   - serverSelectionTimeoutMS: how long a call waits for a reachable server when the
    ///     connection string does not say (libmongoc's default is 30 s).
    init(_ uri: MongoConnectionString, maxSize: Int, serverSelectionTimeoutMS: Int32 = 5_000) throws(MongoError) {
        let (parsed, warnings) = try uri.parsed()
        defer { mongoc_uri_destroy(parsed) }
        for warning in warnings {
            MongoLog.logger.warning("\(warning)", metadata: ["uri": "\(uri.redacted)"])
        }
        var error = bson_error_t()
        if !mongoc_uri_has_option(parsed, MONGOC_URI_SERVERSELECTIONTIMEOUTMS) {
            mongoc_uri_set_option_as_int32(parsed, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, serverSelectionTimeoutMS)
        }
        guard let pool = mongoc_client_pool_new_with_error(parsed, &error) else {
            throw MongoError(.invalidURI, operation: "creating a client pool for \(uri.redacted)",
                             message: MongoError(error, operation: "").message)
        }
        self.pool = pool
        mongoc_client_pool_set_error_api(pool, Int32(MONGOC_ERROR_API_VERSION_2))
        mongoc_client_pool_max_size(pool, UInt32(max(1, maxSize)))
        _ = mongoc_client_pool_set_appname(pool, "job-processor-swift")
        commands.install(on: pool)
    }

    /// Pops a client, runs `body` with it on this thread, and pushes it back.
    /// Blocks while every client is in use.
    func withClient<Result>(_ body: (MongoClient) throws -> Result) rethrows -> Result {
        let client = mongoc_client_pool_pop(pool)!
        defer { mongoc_client_pool_push(pool, client) }
        return try body(MongoClient(client))
    }

    deinit { mongoc_client_pool_destroy(pool) }
}
