import CoreMetrics

/// The swift-metrics objects of one job (or cron) name, made once per name and kept: a counter
/// made per job would cost a factory call and a registry lookup each time.
///
/// Names follow Prometheus' conventions (a `_total` suffix on counters, seconds for timers) and
/// carry the job's name in the `name` dimension (not `job`, which Prometheus gives its own
/// meaning).
final class JobMetrics: Sendable {
    let scheduled: Counter
    let started: Counter
    let finished: Counter
    let errored: Counter
    let killed: Counter
    let skipped: Counter
    let paused: Counter
    /// Handler start to ending, as the worker measured it.
    let runDuration: Timer
    /// Start − `scheduled_for`: how long a due job waited for a worker.
    let queueWait: Timer
    /// For a cron's tasks: start − the tick's due time.
    let cronLateness: Timer
    /// Handlers of this name running in this process.
    let running: Meter

    init(name: String, factory: any MetricsFactory) {
        let dimensions = [("name", name)]
        func counter(_ event: String) -> Counter {
            Counter(label: "job_processor_jobs_\(event)_total", dimensions: dimensions, factory: factory)
        }
        scheduled = counter("scheduled")
        started = counter("started")
        finished = counter("finished")
        errored = counter("errored")
        killed = counter("killed")
        skipped = counter("skipped")
        paused = counter("paused")
        runDuration = Timer(label: "job_processor_job_run_duration_seconds", dimensions: dimensions, factory: factory)
        queueWait = Timer(label: "job_processor_job_queue_wait_seconds", dimensions: dimensions, factory: factory)
        cronLateness = Timer(label: "job_processor_cron_lateness_seconds", dimensions: dimensions, factory: factory)
        running = Meter(label: "job_processor_jobs_running", dimensions: dimensions, factory: factory)
    }

    /// The counter of jobs that ended (or paused) with `status`; nil for statuses that are no
    /// ending (`pending`, `running`).
    func ended(_ status: JobStatus) -> Counter? {
        switch status {
        case .finished: finished
        case .errored: errored
        case .killed: killed
        case .skipped: skipped
        case .paused: paused
        case .pending, .running: nil
        }
    }
}

/// The swift-metrics objects of one store operation (`claim`, `finish`, ...).
final class StoreMetrics: Sendable {
    let calls: Counter
    let failures: Counter
    let duration: Timer

    init(operation: String, factory: any MetricsFactory) {
        let dimensions = [("operation", operation)]
        calls = Counter(label: "job_processor_store_round_trips_total", dimensions: dimensions, factory: factory)
        failures = Counter(label: "job_processor_store_failures_total", dimensions: dimensions, factory: factory)
        duration = Timer(label: "job_processor_store_round_trip_seconds", dimensions: dimensions, factory: factory)
    }
}
