import Foundation
import InMemoryTracing
import Logging
import MetricsTestKit
import Testing
import Tracing
@testable import Queue
@testable import QueueMongo
import QueueTestSupport

/// Metrics and traces (issue #21): a span per run linked to the span that scheduled the job,
/// the trace context carried by every store (dropped, never the job, on the Node version's
/// database), and the counters and timers per job name.
@Suite("Metrics and tracing")
struct InstrumentationTests {
    @Test(arguments: [StoreKind.memory, .sqlite, .mongo])
    func theRunSpanLinksToTheSpanThatScheduledTheJob(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let tracer = InMemoryTracer()
            var configuration = QueueConfiguration.testing(store: store, jobs: ["mail": JobDefinition { _, _ in
                tracer.startSpan("send over SMTP").end()  // in the handler: a child of the run's span
                return "sent"
            }])
            configuration.tracer = tracer
            let worker = try RunningProcessor(configuration)
            let request = tracer.startSpan("POST /signup", context: .topLevel, ofKind: .server)
            let job = try await ServiceContext.withValue(request.context) { try await worker.processor.schedule("mail") }
            request.end()
            #expect(job.traceContext?[InMemoryTracer.spanIDKey] == request.spanID)
            #expect(try await store.waitFor(job.id, [.finished]).status == .finished)
            try await worker.stop()

            let spans = tracer.finishedSpans
            let run = try #require(spans.first { $0.operationName == "run mail" }, "\(spans.map(\.operationName))")
            #expect(run.kind == .consumer)
            let link = try #require(run.links.first, "the run span links to the scheduling span")
            #expect(link.context.inMemorySpanContext?.spanID == request.spanID)
            #expect(link.context.inMemorySpanContext?.traceID == request.traceID)
            #expect(run.attributes["job.id"]?.toSpanAttribute() == .string(job.id.description))
            #expect(run.attributes["job.status"]?.toSpanAttribute() == .string("finished"))
            #expect(run.attributes["job.worker"]?.toSpanAttribute() == .string(worker.processor.workerId.description))
            let smtp = try #require(spans.first { $0.operationName == "send over SMTP" })
            #expect(smtp.parentSpanID == run.spanID, "the handler runs in its run span's context")
            let insert = try #require(spans.first { $0.operationName == "JobStore.insert" })
            #expect(insert.parentSpanID == request.spanID, "the store round trip is a child of the request's span")
            #expect(spans.contains { $0.operationName == "JobStore.claim" || $0.operationName == "JobStore.finishThenClaim" })
        }
    }

    @Test func onTheNodeVersionsDatabaseTheJobIsStoredWithoutItsTraceContext() async throws {
        let database = try TestMongo.database(ioThreads: 4)
        defer { database.close() }
        _ = try await NodeLayout.build(in: database.name, withDocs: false)
        let store = MongoJobStore(database: database, logger: Logger(label: "test.node"))
        let tracer = InMemoryTracer()
        var configuration = QueueConfiguration.testing(store: store, jobs: ["work": JobDefinition { _, _ in nil }])
        configuration.useNodeVersionDefaults()
        configuration.heartbeatInterval = .milliseconds(200)
        configuration.tracer = tracer
        let request = tracer.startSpan("POST /import", context: .topLevel, ofKind: .server)
        // Scheduled before the store was prepared: the validator refuses the field, the store
        // writes the job without it.
        let early = try await ServiceContext.withValue(request.context) {
            try await JobClient(store: store, logger: Logger(label: "test"), tracer: tracer).schedule("work")
        }
        #expect(early.traceContext == nil)
        try await store.prepare()
        #expect(store.nodeValidatorInstalled)
        let worker = try RunningProcessor(configuration)
        let job = try await ServiceContext.withValue(request.context) { try await worker.processor.schedule("work") }
        request.end()
        #expect(job.traceContext == nil)
        #expect(try await store.waitFor(job.id, [.finished, .errored]).status == .finished)
        #expect(try await store.waitFor(early.id, [.finished, .errored]).status == .finished)
        try await worker.stop()
        let runs = tracer.finishedSpans.filter { $0.operationName == "run work" }
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0.links.isEmpty }, "no link where the store could not keep the context")
        let check = try await NodeLayout.check(database.name)
        #expect(check.passed, "\(check.output)")
    }

    @Test func countersAndTimersAreKeptPerJobName() async throws {
        let metrics = TestMetrics()
        let store = MemoryJobStore()
        struct Failed: Error {}
        var configuration = QueueConfiguration.testing(store: store, jobs: [
            "mail": JobDefinition { _, _ in nil },
            "fail": JobDefinition { _, _ in throw Failed() },
            "once": JobDefinition(concurrency: .exclusive) { _, _ in nil },
        ])
        configuration.metricsFactory = metrics
        let processor = try JobProcessor(configuration)
        var ids: [ObjectId] = []
        for _ in 0..<3 { ids.append(try await processor.schedule("mail").id) }
        ids.append(try await processor.schedule("fail").id)
        let later = try await processor.schedule("once", at: Date().addingTimeInterval(3600))
        #expect(try await processor.schedule("once").status == .skipped)
        try await processor.kill(later.id)
        let task = Task { try await processor.run() }
        for id in ids { _ = try await store.waitFor(id, [.finished, .errored]) }
        processor.stop()
        try await task.value

        func counter(_ label: String, _ name: String) throws -> Int64 {
            try metrics.expectCounter(label, [("name", name)]).totalValue
        }
        #expect(try counter("job_processor_jobs_scheduled_total", "mail") == 3)
        #expect(try counter("job_processor_jobs_started_total", "mail") == 3)
        #expect(try counter("job_processor_jobs_finished_total", "mail") == 3)
        #expect(try counter("job_processor_jobs_errored_total", "fail") == 1)
        #expect(try counter("job_processor_jobs_skipped_total", "once") == 1)
        #expect(try counter("job_processor_jobs_killed_total", "once") == 1)
        #expect(try metrics.expectTimer("job_processor_job_run_duration_seconds", [("name", "mail")]).values.count == 3)
        #expect(try metrics.expectTimer("job_processor_job_queue_wait_seconds", [("name", "mail")]).values.count == 3)
        #expect(try metrics.expectMeter("job_processor_jobs_running", [("name", "mail")]).lastValue == 0)
        #expect(try metrics.expectCounter("job_processor_store_round_trips_total", [("operation", "insert")]).totalValue == 6)
    }

    @Test func withoutABackendOrATracerNothingIsInstrumented() throws {
        let configuration = QueueConfiguration.testing(store: MemoryJobStore(), jobs: ["mail": JobDefinition { _, _ in nil }])
        let processor = try JobProcessor(configuration)
        #expect(processor.configuration.instrumentation == nil)
        #expect(processor.configuration.store is MemoryJobStore, "the store is not wrapped")
    }
}
