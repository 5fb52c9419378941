/// The loop as a Swift task executor: a task created with `Task(executorPreference: loop)` runs
/// its synchronous stretches on the loop thread, between the loop's other callbacks.
///
/// Why: the scheduler's store calls are tasks whose results belong on the loop. Run on the
/// global executor, each one costs two thread hand-offs (a worker thread woken for the call,
/// the loop woken for the result); on the loop, a call that completes without suspending (the
/// memory store) costs none, and one that suspends on I/O resumes on the loop directly.
/// Only code that never blocks belongs here: the loop's own callbacks, and store calls (which,
/// by ``JobStore``'s contract, suspend rather than block). User handlers never run here.
extension EventLoop: TaskExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        do {
            try execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        } catch {
            // The loop has stopped: the task still runs to completion, on the global executor.
            globalConcurrentExecutor.enqueue(job)
        }
    }
}
