import CMongoC
import CoreMetrics
import Synchronization
import BSON
import Queue

/// Counts the commands a client pool sends to the server, by libmongoc's command monitoring
/// (APM): every command started, reads and writes alike, including retries and getMore.
///
/// The benchmarks divide this count by the jobs processed to give commands per job; handshakes
/// and server monitoring do not go through APM and are not counted. The same count goes to
/// swift-metrics as `job_processor_mongo_commands_total` when a metrics backend is bootstrapped
/// before the pool is made.
public final class MongoCommandCounter: Sendable {
    private let count = Atomic<Int>(0)
    /// The metric, when a backend is bootstrapped (none is made for the no-op one).
    private let metric: Counter?

    init() {
        metric = MetricsSystem.factory is NOOPMetricsHandler ? nil : Counter(label: "job_processor_mongo_commands_total")
    }

    /// Commands started since the pool was created.
    public var total: Int { count.load(ordering: .relaxed) }

    fileprivate func increment() {
        count.add(1, ordering: .relaxed)
        metric?.increment()
    }

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
