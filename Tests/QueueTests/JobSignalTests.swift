import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

@Suite("JobSignal and the handler's task")
struct JobSignalTests {
    /// A task that waits until cancelled or released, then reports whether it was cancelled.
    private static func parkedTask() -> (task: Task<Void, Never>, cancelled: Task<Bool, Never>, release: AsyncStream<Void>.Continuation) {
        let (stream, release) = AsyncStream<Void>.makeStream()
        let (report, reporter) = AsyncStream<Bool>.makeStream()
        let task = Task {
            await withTaskCancellationHandler {
                for await _ in stream {}
            } onCancel: {
                release.finish()
            }
            reporter.yield(Task.isCancelled)
            reporter.finish()
        }
        let cancelled = Task { await report.first { _ in true } ?? false }
        return (task, cancelled, release)
    }

    @Test func firingCancelsTheAttachedTask() async {
        let signal = JobSignal()
        let parked = Self.parkedTask()
        signal.attach(parked.task)
        signal.fire(.killed)
        #expect(await parked.cancelled.value)
    }

    @Test func aTaskAttachedAfterTheHandlerReturnedIsNotCancelledByALaterFiring() async {
        let signal = JobSignal()
        let parked = Self.parkedTask()
        signal.detach()  // the handler returned before its task was attached
        signal.attach(parked.task)
        signal.fire(.shutdown)
        parked.release.finish()
        #expect(await parked.cancelled.value == false)
        #expect(signal.reason == .shutdown, "the signal itself still fires")
    }
}
