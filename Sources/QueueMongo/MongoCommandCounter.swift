import CMongoC
import Synchronization
import BSON
import Queue

/// Counts the commands a client pool sends to the server, by libmongoc's command monitoring
/// (APM): every command started, reads and writes alike, including retries and getMore.
///
/// The benchmarks divide this count by the jobs processed to give commands per job; handshakes
/// and server monitoring do not go through APM and are not counted.
public final class MongoCommandCounter: Sendable {
    private let count = Atomic<Int>(0)

    init() {}

    /// Commands started since the pool was created.
    public var total: Int { count.load(ordering: .relaxed) }

    fileprivate func increment() { count.add(1, ordering: .relaxed) }

    /// Installs the counter on `pool`; the pool must not have handed out a client yet.
    /// The counter must outlive the pool (``MongoClientPool`` keeps both).
    func install(on pool: OpaquePointer) {
        let callbacks = mongoc_apm_callbacks_new()
        defer { mongoc_apm_callbacks_destroy(callbacks) }
        mongoc_apm_set_command_started_cb(callbacks) { event in
            guard let context = mongoc_apm_command_started_get_context(event) else { return }
            Unmanaged<MongoCommandCounter>.fromOpaque(context).takeUnretainedValue().increment()
        }
        _ = mongoc_client_pool_set_apm_callbacks(pool, callbacks, Unmanaged.passUnretained(self).toOpaque())
    }
}
