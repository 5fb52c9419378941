import Foundation
import Loop
import BSON

extension Scheduler {
    /// Claims due jobs while slots are free: one claim in flight at a time, for as many jobs
    /// as there are free slots (one store round trip for the batch where the store can).
    /// Claimed jobs start at once and the next claim follows immediately, so a backlog drains
    /// at the store's pace. When a claim finds nothing, ``idle()`` arms the next poll
    /// and the due-time timer. Queued endings claim for their slots when they are written,
    /// after the short wait ``EndingGather`` may give them (at most 1 ms, only while other
    /// handlers run): a claim made now would only split them from their slots' claim.
    func pump() {
        guard !endingsWaiting else { return flushEndings() }
        guard let (scope, free) = claimableSlots() else { return }
        if needsReconcile { return reconcile() }
        claiming = true
        recheck = false
        let store = store
        perform({ () async throws(JobStoreError) in try await store.claim(scope, now: Date(), limit: free) }) { result in
            self.claimed(result)
        }
    }

    /// The scope and number of free slots when this worker may claim now: it is running, no
    /// claim is in flight, and a slot is free; nil otherwise.
    func claimableSlots() -> (ClaimScope, Int)? {
        loop.preconditionInLoop()
        let free = configuration.concurrency - running.count
        guard phase == .running, !claiming, free > 0, !scope.names.isEmpty else { return nil }
        return (scope, free)
    }

    /// A claim (alone, or after endings) came back: start its jobs, write the endings that
    /// waited for it (claiming for their slots in the same call), and claim again while jobs
    /// come back; once none does, go idle. Jobs claimed while shutting down are released.
    func claimed(_ result: Result<[Job], JobStoreError>) {
        claiming = false
        switch result {
        case .success(let jobs):
            Tracepoints.jobClaim(jobs.count, running: running.count)
            guard phase == .running else {
                for job in jobs { release(job) }
                flushEndings()
                return
            }
            claimBackoff.succeeded()
            storeAnswered()
            start(jobs)
            if !jobs.isEmpty {
                pollDelay = configuration.pollInterval.lowerBound
                wantNewJobReports(false)  // busy: it claims again anyway
            }
            flushEndings()
            // Queued endings claim for their slots when written, after their short wait (at
            // most 1 ms): also for a job that became due meanwhile (`recheck`).
            if claiming || endingsWaiting { return }
            if !jobs.isEmpty || recheck { pump() } else { idle() }
        case .failure(let error):
            // A claim that failed in the store may have been applied with its reply lost.
            if StoreOutage.counts(error) { needsReconcile = true }
            storeFailed(error, "claiming failed")
            flushEndings()
            armPoll(after: claimBackoff.failed(random: Double.random(in: 0..<1)))
        }
    }

    /// Releases the jobs the store shows running on this worker that it never started: claims
    /// whose reply was lost in an outage, which nothing else would ever end while this worker
    /// lives (SPEC §7). Runs in place of a claim, so that no claim of this worker can take a
    /// job meanwhile; inline runs (`sync`) are started by their own call, never by a claim, and
    /// the tasks of cron ticks under way are the ticks' (``cronTicksUnderWay``): both are left
    /// alone. What this worker knows is read on the loop after the store's list came back, so
    /// that a job it learnt of while the list was read is never released.
    func reconcile() {
        claiming = true
        let (store, workerId) = (store, workerId)
        perform({ () async throws(JobStoreError) in
            try await store.runningJobs(.ownedBy(workerId), limit: Self.recoveryBatch)
        }) { result in
            switch result {
            case .success(let listed):
                let known = self.unrecordedEndings.union(self.running.keys).union(self.cronTicksUnderWay)
                self.releaseLostClaims(listed.filter { !known.contains($0.id) && !$0.sync }.map(\.id))
            case .failure(let error):
                self.claiming = false
                self.storeFailed(error, "could not look for jobs claimed while the store was failing")
                self.armPoll(after: self.claimBackoff.failed(random: Double.random(in: 0..<1)))
                self.flushEndings()
            }
        }
    }

    /// The second half of ``reconcile()``: puts `ids` back to `pending`, then claims again.
    private func releaseLostClaims(_ ids: [ObjectId]) {
        let (store, workerId, logger) = (store, workerId, logger)
        perform({ () async throws(JobStoreError) -> Int in
            var released = 0
            for id in ids {
                do throws(JobStoreError) {
                    if try await store.finish(id, by: workerId, as: .pending, output: nil, at: Date()) != nil {
                        released += 1
                    }
                } catch {
                    logger.error("could not release a job claimed while the store was failing",
                                 metadata: ["job": "\(id)", "error": "\(error)"])
                }
            }
            return released
        }) { result in
            self.claiming = false
            self.needsReconcile = false
            if case .success(let released) = result, released > 0 {
                self.logger.notice("released jobs whose claim was lost while the store was failing",
                                   metadata: ["count": "\(released)"])
            }
            self.pump()
            self.flushEndings()
        }
    }

    /// Nothing is due: back off the poll interval, and arm a timer on the earliest future job
    /// so that it starts on time rather than at the next poll.
    private func idle() {
        pollDelay = min(pollDelay * 2, configuration.pollInterval.upperBound)
        armPoll()
        wantNewJobReports(true)  // before the read below, which covers what was written meanwhile
        let (store, scope) = (store, scope)
        perform({ () async throws(JobStoreError) in try await store.nextDue(scope) }) { result in
            if case .success(let date?) = result { self.wake(at: date) }
        }
    }

    /// Tells the store's watch whether reports of new jobs are wanted (see
    /// ``JobWatch/setWanted(_:)``), when that changes.
    private func wantNewJobReports(_ wanted: Bool) {
        guard wanted != newJobReportsWanted else { return }
        newJobReportsWanted = wanted
        watch?.setWanted(wanted)
    }

    /// Polls again after `delay`, ``pollDelay`` by default (finds jobs other processes created).
    func armPoll(after delay: Duration? = nil) {
        guard phase == .running else { return }
        if let pollTimer { loop.cancel(pollTimer) }
        pollTimer = loop.schedule(after: delay ?? pollDelay) { event in
            guard case .fired = event else { return }
            self.pollTimer = nil
            self.pump()
        }
    }

    /// A job becomes due at `date` (scheduled in this process, or found by ``idle()``): claim
    /// now if it is due, otherwise arm the due-time timer when it is earlier than the armed one.
    func wake(at date: Date) {
        loop.preconditionInLoop()
        guard phase == .running else { return }
        let deadline = deadline(for: date)
        if deadline <= loop.now {
            pollDelay = configuration.pollInterval.lowerBound
            if claiming { recheck = true } else { pump() }
            return
        }
        if let armed = dueTimer {
            guard deadline < armed.at else { return }
            loop.cancel(armed.handle)
        }
        let handle = loop.schedule(at: deadline) { event in
            guard case .fired = event else { return }
            self.dueTimer = nil
            self.wake(at: Date())
        }
        dueTimer = (handle, deadline)
    }

    /// A job claimed while shutting down goes back to `pending` unrun: an ending like any
    /// other, written (and retried) with them, with no `onJobExited`.
    func release(_ job: Job) {
        guard let definition = definitions[job.name] else { return }
        let entry = RunningJob(job: job, definition: definition, signal: JobSignal(), startedAt: loop.now, onRecorded: nil)
        queue(entry, FinishRequest(job.id, by: workerId, as: .pending, output: nil, at: Date(), claimed: job), now: loop.now)
    }
}
