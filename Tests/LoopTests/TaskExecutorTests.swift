import Synchronization
import Testing

@testable import Loop

@Suite("the loop as a task executor")
struct TaskExecutorTests {
    @Test(arguments: backends)
    func aTaskPreferringTheLoopRunsOnTheLoopThreadBeforeAndAfterEachSuspension(backend: EventLoop.Backend) async throws {
        let loop = try EventLoop.startThread(name: "executor-test", clock: MonotonicClock(), backend: backend)
        defer {
            loop.stop()
            #expect(loop.waitUntilStopped(timeout: patience))
        }
        let observed = await Task(executorPreference: loop) { () -> [Bool] in
            var seen = [loop.inLoop]
            try? await Task.sleep(for: .milliseconds(1))
            seen.append(loop.inLoop)
            await Task.detached { #expect(!loop.inLoop) }.value
            seen.append(loop.inLoop)
            return seen
        }.value
        #expect(observed == [true, true, true])
    }

    @Test(arguments: backends)
    func aTaskResumedAfterItsLoopStoppedFinishesOnTheGlobalExecutor(backend: EventLoop.Backend) async throws {
        let loop = try EventLoop.startThread(name: "executor-test", clock: MonotonicClock(), backend: backend)
        let parked = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let task = Task(executorPreference: loop) { () -> (before: Bool, after: Bool) in
            let before = loop.inLoop
            await withCheckedContinuation { continuation in parked.withLock { $0 = continuation } }
            return (before, loop.inLoop)
        }
        var continuation: CheckedContinuation<Void, Never>?
        while continuation == nil {
            continuation = parked.withLock { $0 }
            await Task.yield()
        }
        loop.stop()
        #expect(loop.waitUntilStopped(timeout: patience))
        continuation?.resume()
        let observed = await task.value
        #expect(observed.before)
        #expect(!observed.after, "the stopped loop cannot run it; the global executor does")
    }
}
