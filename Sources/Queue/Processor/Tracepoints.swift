import BSON
import CProbes
import Loop

/// The worker's USDT static tracepoints (provider `job_processor`, see Sources/CProbes), for
/// `perf probe`, `perf record -e sdt_job_processor:*` and bpftrace on a running worker.
///
/// Each call first reads the probe's semaphore: while no tracer is attached it is one load and
/// an untaken branch, and no argument (id strings, clock readings) is built.
enum Tracepoints {
    /// A claim came back with `jobs` jobs while `running` handlers ran.
    @inline(__always)
    static func jobClaim(_ jobs: Int, running: Int) {
        guard cprobes_job_claim_enabled() != 0 else { return }
        cprobes_job_claim(Int64(jobs), Int64(running))
    }

    /// A job's handler starts.
    @inline(__always)
    static func handlerStart(_ job: Job) {
        guard cprobes_handler_start_enabled() != 0 else { return }
        job.id.description.withCString { id in job.name.withCString { cprobes_handler_start(id, $0) } }
    }

    /// A job's handler, started at `start`, ended at `end`; its job goes to `status`.
    @inline(__always)
    static func handlerEnd(_ id: ObjectId, _ status: JobStatus, from start: LoopInstant, to end: LoopInstant) {
        guard cprobes_handler_end_enabled() != 0 else { return }
        let nanoseconds = end.nanoseconds &- start.nanoseconds
        id.description.withCString { id in status.rawValue.withCString { cprobes_handler_end(id, $0, nanoseconds) } }
    }

    /// Whether a store round trip should be timed: only while its probe is traced.
    @inline(__always)
    static var storeRoundTripEnabled: Bool { cprobes_store_round_trip_enabled() != 0 }

    /// A store call came back `nanoseconds` after it started; `failed` when it threw.
    static func storeRoundTrip(nanoseconds: UInt64, failed: Bool) {
        cprobes_store_round_trip(Int64(clamping: nanoseconds), failed ? 1 : 0)
    }
}
