import Foundation
import Testing
@testable import BSON
@testable import Queue
import QueueTestSupport

/// Retries (``RetryPolicy``) decided by the worker state machine, event by event on a manual
/// clock: which endings count as failed attempts, where a retried job goes, what is recorded,
/// and when `onJobExited` runs.
@Suite("Retry policy")
struct RetryPolicyTests {
    typealias Harness = WorkerStateMachineTests.Harness

    static let definitions: [String: JobDefinition] = [
        "retried": JobDefinition(
            maxRuntime: .seconds(60), retry: .exponential(maxAttempts: 3, base: .seconds(2), ceiling: .seconds(3)),
            onJobExited: { _ in }) { _, _ in nil },
        "custom": JobDefinition(retry: .custom(maxAttempts: 2) { attempt, error in
            error.contains("slow down") ? .seconds(30 * attempt) : .seconds(1)
        }) { _, _ in nil },
        "plain": JobDefinition(onJobExited: { _ in }) { _, _ in nil },
    ]

    /// Runs `job` to an ending with `outcome` and returns the ending written.
    private func ending(_ harness: inout Harness, _ job: Job, _ outcome: HandlerOutcome) -> FinishRequest? {
        harness.started(with: [job])
        harness.advance(.seconds(1))
        harness.end([job], outcome)
        return harness.writtenBatch?.requests.first
    }

    @Test func aThrownErrorWithAttemptsLeftGoesBackToPendingAfterTheBackOffWithoutOnJobExited() {
        var harness = Harness(definitions: Self.definitions)
        let job = harness.job("retried")
        let request = ending(&harness, job, .threw("boom"))
        #expect(request?.status == .pending)
        #expect(request?.resumeAt == harness.date.addingTimeInterval(2), "base 2 s for the first retry, no jitter drawn")
        #expect(request?.output?.error == "boom")
        #expect(request?.failure?.attempts == 1)
        #expect(request?.failure?.errors.map(\.error) == ["boom"])
        #expect(!harness.answerWrite().contains { $0.hasPrefix("callExitHandler") }, "not ended for good")
    }

    @Test func theBackOffDoublesUpToItsCeiling() {
        let policy = RetryPolicy.exponential(maxAttempts: 10, base: .seconds(2), ceiling: .seconds(5), jitter: 0.5)
        #expect(policy.delay(afterAttempt: 1, error: "", random: 0) == .seconds(2))
        #expect(policy.delay(afterAttempt: 2, error: "", random: 0) == .seconds(4))
        #expect(policy.delay(afterAttempt: 3, error: "", random: 0) == .seconds(5))
        #expect(policy.delay(afterAttempt: 1_000_000, error: "", random: 0) == .seconds(5), "never traps")
        #expect(policy.delay(afterAttempt: 3, error: "", random: 0.999_999) > .milliseconds(2_499), "jitter takes at most half")
    }

    @Test func theLastAttemptEndsErroredWithEveryAttemptRecordedAndCallsOnJobExited() {
        var harness = Harness(definitions: Self.definitions)
        var job = harness.job("retried")
        job.attempts = 2
        job.attemptErrors = [AttemptError(attempt: 1, error: "a", at: harness.date), AttemptError(attempt: 2, error: "b", at: harness.date)]
        let request = ending(&harness, job, .threw("c"))
        #expect(request?.status == .errored)
        #expect(request?.resumeAt == nil)
        #expect(request?.failure?.attempts == 3)
        #expect(request?.failure?.errors.map(\.error) == ["a", "b", "c"])
        #expect(harness.answerWrite().contains("callExitHandler(\(job.id), errored)"))
    }

    @Test func aJobsOwnMaximumOverridesItsDefinitions() {
        var harness = Harness(definitions: Self.definitions)
        var job = harness.job("plain")
        job.maxAttempts = 2
        let request = ending(&harness, job, .threw("boom"))
        #expect(request?.status == .pending, "plain has no retries, but this job gives itself two attempts")
        #expect(request?.resumeAt == harness.date.addingTimeInterval(1), "the default back-off: 1 s first")
    }

    @Test func anInlineRunIsNeverRetried() {
        var harness = Harness(definitions: Self.definitions)
        var job = harness.job("retried")
        job.sync = true
        let request = ending(&harness, job, .threw("boom"))
        #expect(request?.status == .errored, "its caller waits for its one ending")
        #expect(request?.failure == nil)
    }

    @Test func aJobWithoutRetriesRecordsNoAttempt() {
        var harness = Harness(definitions: Self.definitions)
        let request = ending(&harness, harness.job("plain"), .threw("boom"))
        #expect(request?.status == .errored)
        #expect(request?.failure == nil, "nothing stored beyond SPEC §4's ending")
    }

    @Test func doNotRetryEndsTheJobForGoodWithAttemptsLeft() {
        var harness = Harness(definitions: Self.definitions)
        let job = harness.job("retried")
        let request = ending(&harness, job, .thrown(DoNotRetry("bad payload")))
        #expect(request?.status == .errored)
        #expect(request?.output?.error == "bad payload")
        #expect(request?.failure?.attempts == 1, "a failed attempt, counted")
        #expect(harness.answerWrite().contains("callExitHandler(\(job.id), errored)"))
    }

    @Test func aMaximumRuntimeOverrunCountsAsAFailedAttempt() {
        var harness = Harness(definitions: Self.definitions)
        let job = harness.job("retried")
        harness.started(with: [job])
        harness.advance(.seconds(60))
        harness.on { $0.timerFired(.maxRuntime(job.id), now: $1, date: $2, into: &$3) }
        harness.end([job], .threw("cancelled"))
        let request = harness.writtenBatch?.requests.first
        #expect(request?.status == .pending)
        #expect(request?.failure?.errors.last?.error == "Max runtime exceeded")
    }

    @Test func killingEndsTheJobForGoodWhateverAttemptsAreLeft() {
        var harness = Harness(definitions: Self.definitions)
        let job = harness.job("retried")
        harness.started(with: [job])
        let signal = SignalRecord(kind: .kill, jobId: job.id, workerId: harness.machine.workerId, createdAt: harness.date)
        harness.on { $0.signalsRead(.success([signal]), now: $1, date: $2, into: &$3) }
        harness.end([job], .threw("cancelled"))
        let request = harness.writtenBatch?.requests.first
        #expect(request?.status == .killed)
        #expect(request?.failure == nil)
    }

    @Test func aCustomBackOffIsAFunctionOfTheAttemptAndTheError() {
        var harness = Harness(definitions: Self.definitions)
        let request = ending(&harness, harness.job("custom"), .threw("429: slow down"))
        #expect(request?.status == .pending)
        #expect(request?.resumeAt == harness.date.addingTimeInterval(30))
    }

    @Test func theStoredErrorsAreTheLastFew() {
        var job = Job(name: "x", scheduledFor: Date(), updatedAt: Date(), createdAt: Date())
        for attempt in 1...9 {
            let failure = AttemptFailure(after: job, error: "e\(attempt)", at: Date())
            job.attempts = failure.attempts
            job.attemptErrors = failure.errors
        }
        #expect(job.attempts == 9)
        #expect(job.attemptErrors.map(\.error) == ["e5", "e6", "e7", "e8", "e9"])
    }

    @Test func aCrashWithAttemptsLeftPutsTheJobBackToPendingAndOneWithoutEndsIt() throws {
        let job = Job(name: "retried", scheduledFor: Date(), updatedAt: Date(), createdAt: Date())
        let first = try #require(RetryPolicy.failedAttempt(
            of: job, definition: Self.definitions["retried"], error: DeadWorkerScan.crashed, retryable: true, at: job.createdAt,
            random: 0))
        #expect(first.retryAt == job.createdAt.addingTimeInterval(2))
        var last = job
        last.attempts = 2
        let final = try #require(RetryPolicy.failedAttempt(
            of: last, definition: Self.definitions["retried"], error: DeadWorkerScan.crashed, retryable: true, at: job.createdAt,
            random: 0))
        #expect(final.retryAt == nil && final.failure.attempts == 3)
    }

    @Test func aRetryPolicyOutOfRangeIsAConfigurationError() {
        let error = #expect(throws: QueueError.self) {
            try JobProcessor(.testing(store: MemoryJobStore(), jobs: [
                "never": JobDefinition(retry: .exponential(maxAttempts: 0)) { _, _ in nil },
            ]))
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("maxAttempts") == true)
    }
}
