import Foundation
import BSON

/// Where the processor keeps jobs, workers and signals: MongoDB in production
/// (``MongoJobStore``), an in-memory store for unit tests (``MemoryJobStore``).
///
/// Every state transition is one atomic operation guarded by the expected current status (and
/// owner), so two processes can never both make it (SPEC §2, §4). Each store passes the shared
/// conformance suite of `QueueTesting` (`JobStoreConformance`).
///
/// Calls may block on I/O inside the store, but never the caller's thread: implementations
/// suspend (MongoDB calls run on the store's own I/O threads).
public protocol JobStore: Sendable {
    /// Creates collections and indexes. Idempotent; called once when a processor starts.
    func prepare() async throws(JobStoreError)

    // MARK: Jobs

    /// Stores a new job (status `pending`, or `running` for an inline job that carries its
    /// `workerId`). For an `exclusive` job whose name already has a `pending`, `running` or
    /// `paused` job, the new job is stored `skipped` instead, with `output.skip_metadata`
    /// (reason, conflicting job id, time) and `ended_at` at its `created_at` (a skipped job has
    /// ended, so that retention deletes it like any other); the database decides, not a
    /// read-then-write. For a job with a ``Job/uniqueKey`` that an active job holds, nothing is
    /// stored and that job is returned (its id differs from `job`'s), decided by the database
    /// too; the key is checked before exclusivity.
    /// - Returns: the job as stored, or the active job holding its unique key.
    func insert(_ job: Job) async throws(JobStoreError) -> Job

    /// Stores several new jobs, each as ``insert(_:)`` would, in as few round trips as the
    /// store can (one transaction for SQLite, one lock for the memory store, one `insert`
    /// command for MongoDB after one `find` of the batch's ids): scheduling many jobs then
    /// costs little more per job than the store's own write of it. An exclusive job whose name
    /// has an active job, stored or earlier in the batch, is stored `skipped` naming that job;
    /// the other jobs are stored all the same. Of two exclusive jobs of one name in a batch
    /// with no active twin stored, one is stored `pending` and the other `skipped`: the first,
    /// unless the MongoDB server applies the batch in another order (a sharded cluster may).
    /// A job whose ``Job/uniqueKey`` an active job holds, stored or earlier in the batch, is not
    /// stored: that job comes back in its place, as from ``insert(_:)``.
    ///
    /// All or nothing for what the store refuses: a job whose id is stored, or given twice in
    /// the batch, makes the call throw with nothing of the batch stored. A failure of the
    /// database itself leaves the batch unstored on SQLite and in memory; on MongoDB, as for
    /// one insert whose reply is lost, some jobs may have been stored.
    ///
    /// No default implementation: one ``insert(_:)`` after another could not take back the
    /// jobs stored before a refusal, so each store says how it keeps a batch whole.
    /// - Returns: the jobs as stored, or the holders of their unique keys, in the order given
    ///   (empty for an empty batch, with no round trip).
    /// - Throws: ``JobStoreError`` with code `invalidJob` and ``JobStoreError/jobIndex`` set to
    ///   the position of the job refused.
    func insert(many jobs: [Job]) async throws(JobStoreError) -> [Job]

    /// The job with this id, or nil.
    func job(id: ObjectId) async throws(JobStoreError) -> Job?

    /// Jobs matching `query`, in its order, at most `query.limit`.
    func jobs(matching query: JobQuery) async throws(JobStoreError) -> [Job]

    /// Claims the due job that `scope` may run with the earliest `scheduled_for` (a `simple` job
    /// or `cron_task`, never a cron's own document; status `pending` or `paused`,
    /// `scheduled_for` ≤ `now`, name in `scope.names`): sets `running`,
    /// `worker_id`, `updated_at`, and `started_at` unless already set (a resumed job keeps it).
    /// One atomic operation: a job is never claimed twice.
    /// - Returns: the claimed job as stored after the claim, or nil when none is due.
    func claim(_ scope: ClaimScope, now: Date) async throws(JobStoreError) -> Job?

    /// Claims up to `limit` due jobs in `scope`, earliest first, as consecutive calls of
    /// ``claim(_:now:)`` would, in as few round trips as the store can (one transaction for
    /// SQLite, one lock for the memory store, a `find` and an `update` for MongoDB when its
    /// previous claim found a job). Fewer than `limit` may come back while more are due (the
    /// default implementation returns one job per call, so that a claimed job never waits for
    /// the round trips of a whole batch; MongoDB does too while nothing shows a backlog, and does
    /// not replace jobs another process took during its batch): the caller claims again as long
    /// as jobs come back. An empty result means nothing is due.
    func claim(_ scope: ClaimScope, now: Date, limit: Int) async throws(JobStoreError) -> [Job]

    /// The earliest `scheduled_for` among `pending` and `paused` jobs in `scope`, due or not;
    /// nil when there are none. The processor arms a loop timer on it instead of polling.
    func nextDue(_ scope: ClaimScope) async throws(JobStoreError) -> Date?

    /// Ends (or pauses) a job that `workerId` is running: sets `status`, `output`,
    /// `updated_at`, clears `worker_id`, and sets `ended_at` when `status` is terminal. `paused`
    /// interrupts a resumable job; `pending` releases a job claimed but never started (a claim
    /// that completed during shutdown). With `resumeAt`, `scheduled_for` moves there, so that a
    /// job paused for exceeding its max runtime is not resumed at once. Guarded by
    /// `status == running` and `worker_id == workerId`.
    /// - Returns: the job after the change, or nil when it was not running on that worker
    ///   (killed, taken over, or never claimed), in which case nothing changed.
    func finish(
        _ id: ObjectId, by workerId: ObjectId, as status: JobStatus, output: JobOutput?, at now: Date, resumeAt: Date?
    ) async throws(JobStoreError) -> Job?

    /// Records several endings at once, each exactly as ``finish(_:by:as:output:at:resumeAt:)``
    /// would (each guarded on its own), in as few round trips as the store can: the processor
    /// hands over every ending that arrived while the previous batch was being written. A
    /// request that carries its job as claimed (``FinishRequest/claimed``) lets the store
    /// return ``FinishRequest/applied(to:)`` instead of reading the job back.
    /// - Returns: one result per request, in order.
    func finish(_ requests: [FinishRequest]) async -> [Result<Job?, JobStoreError>]

    /// Records `endings`, each as ``finish(_:)`` would, then claims up to `limit` due jobs in
    /// `scope` as ``claim(_:now:limit:)`` would, in one round trip where the store can (one
    /// SQLite transaction, one lock for the memory store). The processor calls it when handlers
    /// end: their endings and the refill of their slots cost one store call instead of two. A
    /// failed claim does not undo the endings.
    /// - Returns: one result per ending, in order, and the claim's result.
    func finish(
        _ endings: [FinishRequest], thenClaim scope: ClaimScope, now: Date, limit: Int
    ) async -> (endings: [Result<Job?, JobStoreError>], claimed: Result<[Job], JobStoreError>)

    /// Kills a job from any process: a `pending` or `paused` job becomes `killed` at once; for a
    /// `running` one a `kill` signal is stored for its worker, which will record `killed`; an
    /// ended job is left as it is.
    func kill(_ id: ObjectId, at now: Date) async throws(JobStoreError) -> KillOutcome

    /// Running jobs chosen by `selection`, least recently updated first, at most `limit`,
    /// each read field by field (``RunningJobReference``): a document whose other fields cannot
    /// be read is listed all the same, so that crash recovery can end it. Documents without an
    /// ObjectId `_id` are left out: no ending could name them.
    func runningJobs(_ selection: RunningJobSelection, limit: Int) async throws(JobStoreError) -> [RunningJobReference]

    // MARK: Crons

    /// Makes the stored crons match `declared` (SPEC §4 "Crons"): a cron with no document gets
    /// one (one per name even when replicas start together), a cron whose expression changed is
    /// rescheduled to the declared `scheduledFor`, an unchanged one keeps its stored due time,
    /// and crons not declared are removed with their pending tasks.
    /// - Returns: every stored cron after the change.
    func syncCrons(_ declared: [CronRecord], at now: Date) async throws(JobStoreError) -> [CronRecord]

    /// Takes one tick of cron `name`: while the cron is at `due`, stores `task` (a `cron_task`,
    /// subject to exclusivity like any job: it may be stored `skipped`) unless an earlier
    /// attempt at this tick stored it, and moves the cron's `scheduled_for` from `due` to `next`
    /// by compare-and-set. Exactly one caller across the fleet gets the tick.
    ///
    /// Idempotent, so that a caller may take a tick again after a failure whatever the failed
    /// call had done: the task is stored under ``ObjectId/init(cronTick:due:)`` of `name` and
    /// `due` (whatever `task.id` is), so that every attempt at one tick, in any process, names
    /// one document and the tick has one task. A store that cannot do both writes atomically
    /// stores the task first: a failure in between leaves a task that the next attempt finds
    /// and a cron it moves, never a moved cron without its task.
    /// - Returns: the tick's task as stored, to the caller that owns the tick: when the task is
    ///   `running` for a worker (as the ticking worker stores a task it runs itself, or as a
    ///   worker that claimed it runs it), the caller whose `task.workerId` that is, which alone
    ///   may run it, even when its own earlier attempt moved the cron; otherwise the caller
    ///   that moved the cron. Nil for every other caller, and when the cron was not at `due` and
    ///   the tick has no task (another worker took the tick, or the cron changed). A caller
    ///   handed a running task it already runs must not start it again.
    func advanceCron(_ name: String, from due: Date, to next: Date, creating task: Job) async throws(JobStoreError) -> Job?

    /// Every stored cron, by name.
    func crons() async throws(JobStoreError) -> [CronRecord]

    // MARK: Workers

    /// Stores this worker's document (id, hostname, tags, lastSeen).
    func registerWorker(_ worker: WorkerRecord) async throws(JobStoreError)

    /// Refreshes `lastSeen`. Returns false when the worker's document is gone (it was declared
    /// dead): the worker must stop claiming.
    func heartbeat(_ workerId: ObjectId, at now: Date) async throws(JobStoreError) -> Bool

    /// Removes this worker's document at shutdown.
    func removeWorker(_ workerId: ObjectId) async throws(JobStoreError)

    /// Every worker document.
    func workers() async throws(JobStoreError) -> [WorkerRecord]

    /// Removes the document of a worker last seen before `seenBefore`, atomically: returns true
    /// for exactly one caller, which then owns the recovery of that worker's jobs (SPEC §4
    /// "Heartbeat and crash recovery"); false when the worker is alive or already taken over.
    func declareDead(_ workerId: ObjectId, seenBefore: Date) async throws(JobStoreError) -> Bool

    // MARK: Signals

    /// Signals for `workerId` not yet acknowledged, oldest first.
    func pendingSignals(for workerId: ObjectId) async throws(JobStoreError) -> [SignalRecord]

    /// Marks a signal as acted on.
    func acknowledgeSignal(_ id: ObjectId) async throws(JobStoreError)

    // MARK: Views

    /// How many jobs and cron tasks (never a cron's own document) each status holds, each count
    /// stopping at `limit`: a count equal to `limit` means "at least that many". Bounded reads
    /// only (an index range per status, cut at `limit`), so that a dashboard can ask for it on a
    /// store of any size. Statuses with no job may be left out.
    func countJobs(upTo limit: Int) async throws(JobStoreError) -> [JobStatus: Int]

    /// The jobs and cron tasks that ended at or after `since`, counted by the minute of their
    /// `ended_at` (whole minutes since 1970, UTC) and status, ordered by minute then status.
    /// Reads at most the `limit` latest endings, through an index on `ended_at`: when that many
    /// ended since `since`, the earliest minutes are short of their true counts (the counts
    /// then add up to `limit`).
    func endingsPerMinute(since: Date, limit: Int) async throws(JobStoreError) -> [EndingsInMinute]

    // MARK: Retention

    /// Deletes the jobs and cron tasks that ended (`ended_at` set) before `cutoff`, and the
    /// acknowledged signals created before it (SPEC §4 "Retention").
    /// - Returns: how many jobs were deleted.
    @discardableResult
    func deleteEnded(before cutoff: Date) async throws(JobStoreError) -> Int

    // MARK: Notifications

    /// Starts telling `onNewJob` (from any thread) the `scheduled_for` of each job created in
    /// `scope` by any process (or, where the store learns only that something was written, of
    /// the earliest claimable job in `scope` then), so that workers need not wait for their
    /// next poll. Returns nil when the store cannot (a standalone MongoDB has no change
    /// streams): the processor then relies on polling alone. The default implementation
    /// returns nil.
    func watchNewJobs(_ scope: ClaimScope, _ onNewJob: @escaping @Sendable (Date) -> Void) async -> (any JobWatch)?
}

extension JobStore {
    /// ``finish(_:by:as:output:at:resumeAt:)`` leaving `scheduled_for` as it is.
    public func finish(
        _ id: ObjectId, by workerId: ObjectId, as status: JobStatus, output: JobOutput?, at now: Date
    ) async throws(JobStoreError) -> Job? {
        try await finish(id, by: workerId, as: status, output: output, at: now, resumeAt: nil)
    }

    /// Nil: a store without notifications leaves workers to poll.
    public func watchNewJobs(_ scope: ClaimScope, _ onNewJob: @escaping @Sendable (Date) -> Void) async -> (any JobWatch)? {
        nil
    }

    /// One ``claim(_:now:)``: the claimed job goes back at once rather than after the round
    /// trips of a whole batch.
    public func claim(_ scope: ClaimScope, now: Date, limit: Int) async throws(JobStoreError) -> [Job] {
        guard limit > 0, let job = try await claim(scope, now: now) else { return [] }
        return [job]
    }

    /// One ``finish(_:by:as:output:at:resumeAt:)`` after another.
    public func finish(_ requests: [FinishRequest]) async -> [Result<Job?, JobStoreError>] {
        await finishInTurn(requests)
    }

    /// Each request by its own ``finish(_:by:as:output:at:resumeAt:)``, in order: the default
    /// batch, and how a batching store records requests it cannot batch.
    package func finishInTurn(_ requests: [FinishRequest]) async -> [Result<Job?, JobStoreError>] {
        var results: [Result<Job?, JobStoreError>] = []
        results.reserveCapacity(requests.count)
        for request in requests {
            do throws(JobStoreError) {
                results.append(.success(try await finish(
                    request.id, by: request.workerId, as: request.status, output: request.output, at: request.at,
                    resumeAt: request.resumeAt)))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    /// ``finish(_:)`` and ``claim(_:now:limit:)`` side by side: for a store with a round trip
    /// per call (MongoDB), neither waits for the other.
    public func finish(
        _ endings: [FinishRequest], thenClaim scope: ClaimScope, now: Date, limit: Int
    ) async -> (endings: [Result<Job?, JobStoreError>], claimed: Result<[Job], JobStoreError>) {
        async let recorded = finish(endings)
        let claimed: Result<[Job], JobStoreError>
        do throws(JobStoreError) { claimed = .success(try await claim(scope, now: now, limit: limit)) } catch {
            claimed = .failure(error)
        }
        return (await recorded, claimed)
    }
}
