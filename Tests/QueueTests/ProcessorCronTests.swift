import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// Crons, kills, max runtime and crash recovery (SPEC §4), in one process.
@Suite("JobProcessor crons, kills and recovery")
struct ProcessorCronTests {
    @Test(arguments: StoreKind.processorKinds)
    func twoWorkersCreateExactlyOneTaskPerCronTick(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let runs = Recorder<Date>()
        let crons = ["every-second": CronDefinition("* * * * * *") { _, task in
            runs.append(task.scheduledFor)
            return nil
        }]
        let first = try RunningProcessor(.testing(store: store, jobs: [:], crons: crons))
        let second = try RunningProcessor(.testing(store: store, jobs: [:], crons: crons))
        _ = try await eventually("three ticks to run", timeout: .seconds(20)) { runs.count >= 3 ? true : nil }
        try await first.stop()
        try await second.stop()
        let tasks = try await store.jobs(matching: JobQuery(names: ["every-second"], types: [.cronTask]))
        let ticks = tasks.map(\.scheduledFor)
        #expect(Set(ticks).count == ticks.count, "one task per tick")
        #expect(Set(runs.all).count == runs.count, "each tick ran once")
        #expect(ticks.allSatisfy { $0.timeIntervalSince1970.rounded() == $0.timeIntervalSince1970 }, "ticks fall on whole seconds")
    }

    @Test func ticksMissedWhileEveryWorkerWasDownGiveOneTask() async throws {
        let store = MemoryJobStore()
        let started = Date()
        let hourAgo = started.addingTimeInterval(-3600)
        _ = try await store.syncCrons([CronRecord(name: "minutely", cronString: "* * * * *", scheduledFor: hourAgo)], at: hourAgo)
        let worker = try RunningProcessor(.testing(store: store, jobs: [:], crons: [
            "minutely": CronDefinition("* * * * *") { _, _ in nil },
        ]))
        let task = try await eventually("the missed tick's task") {
            try await store.jobs(matching: JobQuery(names: ["minutely"], types: [.cronTask])).first
        }
        let next = try #require(try await store.crons().first?.scheduledFor)
        try await worker.stop()
        #expect(task.scheduledFor == hourAgo)
        // A run that crosses a minute boundary may also hold that minute's tick, which is not missed.
        let tasks = try await store.jobs(matching: JobQuery(names: ["minutely"], types: [.cronTask]))
        #expect(tasks.filter { $0.scheduledFor < started }.count == 1, "one task for an hour of missed ticks")
        #expect(next > Date().addingTimeInterval(-1), "the next tick is the first after now, not the next missed one")
    }

    @Test func anInvalidCronStringIsAConfigurationErrorNamingTheCron() {
        let error = #expect(throws: QueueError.self) {
            try JobProcessor(.testing(store: MemoryJobStore(), jobs: [:], crons: [
                "broken": CronDefinition("0 0 32 * *") { _, _ in nil },
            ]))
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("broken") == true)
        #expect(error?.message.contains("32") == true)
    }

    @Test(arguments: [false, true])
    func maxRuntimeCancelsTheRunPausingResumableOnesAndErroringOthers(_ resumable: Bool) async throws {
        let store = MemoryJobStore()
        let definition = JobDefinition(resumable: resumable, maxRuntime: .milliseconds(200)) { _, signal in
            let reason = await signal.cancelled()
            throw JobSignal.Cancelled(reason: reason)
        }
        let worker = try RunningProcessor(.testing(store: store, jobs: ["long": definition]))
        let job = try await worker.processor.schedule("long")
        let ended = try await store.waitFor(job.id, [.paused, .errored])
        try await worker.stop()
        #expect(ended.status == (resumable ? .paused : .errored))
        #expect(ended.output?.error == (resumable ? nil : "Max runtime exceeded"))
        if resumable {
            // Not a cron task: resumable one max runtime after the pause, not at once.
            #expect(ended.scheduledFor > ended.updatedAt.addingTimeInterval(0.1), "resumed later, not at once into the same limit")
        }
    }

    @Test(arguments: StoreKind.processorKinds)
    func killingEndsPendingAndRunningJobsAndLeavesEndedOnesAlone(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let exits = Recorder<Job>()
        let started = Recorder<ObjectId>()
        let worker = try RunningProcessor(.testing(store: store, jobs: [
            "wait": JobDefinition(onJobExited: { exits.append($0) }) { job, signal in
                started.append(job.id)
                throw JobSignal.Cancelled(reason: await signal.cancelled())
            },
            "quick": JobDefinition { _, _ in "done" },
        ]))
        let later = try await worker.processor.schedule("wait", at: Date().addingTimeInterval(3600))
        let running = try await worker.processor.schedule("wait")
        let quick = try await worker.processor.schedule("quick")
        _ = try await eventually("the job to start") { started.all.contains(running.id) ? true : nil }
        _ = try await store.waitFor(quick.id, [.finished])

        guard case .killed(let killedPending) = try await worker.processor.kill(later.id) else {
            Issue.record("a pending job is killed at once")
            return
        }
        #expect(killedPending.status == .killed)
        guard case .signalled = try await worker.processor.kill(running.id) else {
            Issue.record("a running job is signalled")
            return
        }
        let killed = try await store.waitFor(running.id, [.killed, .errored, .finished])
        #expect(killed.status == .killed)
        #expect(try await worker.processor.kill(quick.id) == .alreadyEnded(.finished))
        #expect(try await worker.processor.kill(ObjectId()) == .notFound)
        _ = try await eventually("onJobExited of both killed jobs") { exits.count == 2 ? true : nil }
        try await worker.stop()
        #expect(Set(exits.all.map(\.id)) == [later.id, running.id])
        #expect(try await store.job(id: quick.id)?.status == .finished)
    }

    @Test(arguments: StoreKind.processorKinds)
    func aLiveWorkerTakesOverTheRunningJobsOfADeadOne(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        // A worker that crashed a minute ago while running two jobs.
        let dead = WorkerRecord(hostname: "crashed", tags: nil, lastSeen: Date().addingTimeInterval(-60))
        try await store.registerWorker(dead)
        let longAgo = Date().addingTimeInterval(-61)
        var resumable = Job(name: "resumable", status: .running, scheduledFor: longAgo, startedAt: longAgo,
                            updatedAt: longAgo, createdAt: longAgo, workerId: dead.id)
        var plain = resumable
        plain.id = ObjectId()
        plain.name = "plain"
        resumable = try await store.insert(resumable)
        plain = try await store.insert(plain)

        let exits = Recorder<Job>()
        let resumed = Recorder<ObjectId>()
        let worker = try RunningProcessor(.testing(store: store, jobs: [
            "resumable": JobDefinition(resumable: true, onJobExited: { exits.append($0) }) { job, _ in
                resumed.append(job.id)
                return "resumed"
            },
            "plain": JobDefinition(onJobExited: { exits.append($0) }) { _, _ in "must not run again" },
        ]))
        let crashed = try await store.waitFor(plain.id, [.errored])
        let finished = try await store.waitFor(resumable.id, [.finished])
        _ = try await eventually("onJobExited of both") { exits.count == 2 ? true : nil }
        try await worker.stop()
        #expect(crashed.output?.error == "Worker crashed unexpectedly")
        #expect(finished.startedAt == resumable.startedAt, "resumed, not restarted")
        #expect(resumed.all == [resumable.id])
        #expect(exits.all.filter { $0.id == plain.id }.count == 1)
        #expect(try await store.workers().isEmpty)
    }
}

/// A monitor that keeps its check-ins.
final class RecordingMonitor: CronMonitor {
    let checkIns = Recorder<CronCheckIn>()
    func checkIn(_ checkIn: CronCheckIn) async { checkIns.append(checkIn) }
}

@Suite("JobProcessor monitor check-ins")
struct ProcessorCheckInTests {
    @Test func cronTasksReportTheirStartAndEndWithTheScheduleAndMargins() async throws {
        let store = MemoryJobStore()
        let monitor = RecordingMonitor()
        var configuration = QueueConfiguration.testing(store: store, jobs: [:], crons: [
            "report": CronDefinition("* * * * * *", timeZone: TimeZone(identifier: "Europe/Paris"), checkinMargin: 2,
                                     maxRuntimeInMinutes: 5) { _, _ in nil },
        ])
        configuration.cronMonitor = monitor
        let worker = try RunningProcessor(configuration)
        _ = try await eventually("a start and an end", timeout: .seconds(10)) {
            monitor.checkIns.all.contains { $0.status == .ok } ? true : nil
        }
        try await worker.stop()
        let final = try #require(monitor.checkIns.all.first { $0.status == .ok })
        let start = try #require(monitor.checkIns.all.first { $0.checkInId == final.checkInId && $0.status == .inProgress })
        #expect(start.schedule == "* * * * * *")
        #expect(start.timeZone.identifier == "Europe/Paris")
        #expect(start.checkinMargin == 2 && start.maxRuntimeInMinutes == 5)
        #expect(start.duration == nil && final.duration != nil)
        #expect(final.taskId == start.taskId)
    }
}
