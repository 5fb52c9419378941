import Foundation
import Loop
import BSON

extension Scheduler {
    /// Declares the crons to the store, then arms a loop timer on each one's next tick: a cron
    /// fires on time, not at the next poll (SPEC §4 "Crons").
    func startCrons() {
        guard !crons.isEmpty else { return }
        let now = Date()
        let declared = crons.compactMap { cron in
            cron.next(after: now).map { CronRecord(name: cron.name, cronString: cron.definition.cronString, scheduledFor: $0) }
        }
        let store = store
        sideCall({ () async throws(JobStoreError) in try await store.syncCrons(declared, at: now) }) { result in
            switch result {
            case .success(let stored):
                for record in stored { self.armCron(record.name, at: record.scheduledFor) }
            case .failure(let error):
                self.machine.storeFailed(error, "could not declare the crons; retrying", now: self.loop.now)
                self.retryLater { self.startCrons() }
            }
        }
    }

    /// Arms the timer of cron `name` on `due` (at once if it is past: missed ticks).
    private func armCron(_ name: String, at due: Date) {
        guard machine.phase == .running, crons.contains(where: { $0.name == name }) else { return }
        if let armed = cronTimers[name] { loop.cancel(armed) }
        cronTimers[name] = loop.schedule(at: deadline(for: due)) { event in
            guard case .fired = event else { return }
            self.cronTimers[name] = nil
            // A tick further away than the loop's longest wait: wait again for what is left.
            if due.timeIntervalSinceNow > 0.5 { return self.armCron(name, at: due) }
            self.tick(name, due: due)
        }
    }

    /// Takes the tick `due` of cron `name`: the store decides which worker owns it. The worker
    /// runs the task itself at once when its tags allow and a slot is free (the task is stored
    /// `running` for it: no claim round trip, so the task starts on time); otherwise the task
    /// is stored pending for any worker to claim. The next tick is the first after now, so
    /// ticks missed while every worker was down give one task, not a burst.
    ///
    /// A failed tick is taken again later, with a task made anew: the store keeps one task per
    /// tick (its id is the tick's) and hands a task stored `running` for this worker back to
    /// it, whatever the failed call had done. Such a task is started here unless this worker
    /// already runs it (it claimed it when another worker's attempt had stored it pending).
    private func tick(_ name: String, due: Date) {
        guard machine.phase == .running, let cron = crons.first(where: { $0.name == name }) else { return }
        let now = Date()
        guard let next = cron.next(after: max(now, due)) else {
            logger.warning("cron never fires again", metadata: ["cron": "\(name)"])
            return
        }
        let runHere = scope.names.contains(name) && machine.running.count < configuration.concurrency
        var task = Job(
            id: ObjectId(cronTick: name, due: due), name: name, type: .cronTask, scheduledFor: due, updatedAt: now,
            createdAt: now, concurrency: cron.definition.concurrency)
        if runHere {
            task.status = .running
            task.workerId = workerId
            task.startedAt = now
        }
        let (store, newTask) = (store, task)
        machine.cronTicksUnderWay.insert(task.id)
        sideCall({ () async throws(JobStoreError) in
            try await store.advanceCron(name, from: due, to: next, creating: newTask)
        }) { result in
            if case .success = result { self.machine.cronTicksUnderWay.remove(newTask.id) }
            switch result {
            case .success(let created?):
                self.cronMisses[name] = 0
                self.logger.debug("cron tick", metadata: ["cron": "\(name)", "task": "\(created.id)",
                                                         "status": "\(created.status.rawValue)"])
                if created.status == .running, created.workerId == self.workerId {
                    self.handle { $0.cronTaskTaken(created, now: $1, date: $2, into: &$3) }
                } else if created.status == .pending {
                    self.wake(at: created.scheduledFor)
                }
                self.armCron(name, at: next)
            case .success(nil):
                // Another worker took the tick: it advanced to the same next tick, unless the
                // cron changed; after repeated misses, read what is stored.
                let misses = self.cronMisses[name, default: 0] + 1
                self.cronMisses[name] = misses
                if misses >= 3 { self.followStoredCron(name) } else { self.armCron(name, at: next) }
            case .failure(let error):
                self.machine.storeFailed(error, "cron tick failed; retrying", metadata: ["cron": "\(name)"], now: self.loop.now)
                self.retryLater { self.tick(name, due: due) }
            }
        }
    }

    /// Another worker took the tick (or the cron changed): arm on the stored due time.
    private func followStoredCron(_ name: String) {
        let store = store
        sideCall({ () async throws(JobStoreError) in try await store.crons() }) { result in
            switch result {
            case .success(let stored):
                self.cronMisses[name] = 0
                if let record = stored.first(where: { $0.name == name }) { self.armCron(name, at: record.scheduledFor) }
            case .failure(let error):
                self.machine.storeFailed(error, "could not read the crons; retrying", now: self.loop.now)
                self.retryLater { self.followStoredCron(name) }
            }
        }
    }

    /// Runs `work` after the longest poll interval, unless the scheduler is shutting down.
    func retryLater(_ work: @escaping @Sendable () -> Void) {
        loop.schedule(after: configuration.pollInterval.upperBound) { event in
            guard case .fired = event, self.machine.phase == .running else { return }
            work()
        }
    }
}
