import Foundation
import Loop
import BSON

/// Handlers: started off the loop, their outcomes brought back to the machine in batches.
extension Scheduler {
    /// Starts the handlers of jobs the machine registered as running: async handlers as tasks
    /// (a batch through one ``HandlerBatch`` task, so that the loop pays one task creation and
    /// at most one worker-thread wake-up per batch), CPU-bound ones on the bounded Dispatch
    /// pool. Each outcome comes back through ``report(_:_:)``.
    func startHandlers(_ entries: [RunningJob]) {
        var launches: [HandlerLaunch] = []
        launches.reserveCapacity(entries.count)
        let instrumentation = configuration.instrumentation
        for entry in entries {
            let job = entry.job
            instrumentation?.started(job, worker: workerId)  // before the task: it reads the run's span
            if job.type == .cronTask, configuration.cronMonitor != nil, let cron = crons.first(where: { $0.name == job.name }) {
                entry.checkIn = (cron, UUID())
                machine.sideWorkBegan()
                sendCheckIn(entry, .inProgress)
            }
            switch entry.definition.body {
            case .async(let handler):
                launches.append(HandlerLaunch(entry: entry, handler: handler, scheduler: self))
            case .cpuBound(let handler):
                let signal = entry.signal
                cpuPool.submit {
                    let outcome: HandlerOutcome
                    do { outcome = .returned(try handler(job, signal)) } catch { outcome = .thrown(error) }
                    self.report(job.id, outcome)
                }
            }
        }
        switch launches.count {
        case 0: return
        case 1: launches[0].startTask()
        default: HandlerBatch(launches).start()
        }
    }

    /// Hands a handler's outcome to the machine on the loop thread, through the
    /// ``OutcomeInbox``: one loop callback for every outcome posted until it runs. Any thread.
    func report(_ id: ObjectId, _ outcome: HandlerOutcome) {
        guard outcomes.post(id, outcome) else { return }  // a take is already queued
        do { try loop.execute { self.takeOutcomes() } } catch {
            // The loop stops only after every running job has ended or been abandoned.
        }
    }

    /// Ends, in the order they were posted, the handlers whose outcomes are in the inbox: all at
    /// one reading of the clocks (they arrived together).
    private func takeOutcomes() {
        outcomes.take(into: &takenOutcomes)
        handle { $0.handlersEnded(self.takenOutcomes, now: $1, date: $2, into: &$3) }
        takenOutcomes.removeAll(keepingCapacity: true)
    }

    /// Sends a cron task's check-in to the configured monitor, off the loop; shutdown waits for
    /// it (the monitor bounds its own time). Counted by the caller.
    func sendCheckIn(_ entry: RunningJob, _ status: CronCheckIn.Status) {
        guard let (cron, id) = entry.checkIn, let monitor = configuration.cronMonitor else {
            return handle { machine, _, _, actions in machine.sideWorkEnded(into: &actions) }
        }
        let definition = cron.definition
        let checkIn = CronCheckIn(
            cronName: cron.name, status: status, checkInId: id, schedule: definition.cronString,
            timeZone: cron.timeZone, checkinMargin: definition.checkinMargin,
            maxRuntimeInMinutes: definition.maxRuntimeInMinutes,
            duration: status.isFinal ? loop.now - entry.startedAt : nil, taskId: "\(entry.job.id)")
        detached { await monitor.checkIn(checkIn) }
    }

    /// Calls `onJobExited`; its failures are logged and never change the job. Counted by the
    /// caller.
    func callExitHandler(_ handler: @escaping JobDefinition.ExitHandler, _ job: Job) {
        let logger = logger
        detached {
            do { try await handler(job) } catch {
                logger.error("onJobExited failed", metadata: ["job": "\(job.id)", "error": "\(JobEnding.describe(error))"])
            }
        }
    }
}
