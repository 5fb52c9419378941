import Synchronization
import Testing

@testable import Loop

@Suite("stop")
struct StopTests {
    @Test("work queued before stop still runs, in order", arguments: backends)
    func queuedWorkRunsAfterStop(backend: EventLoop.Backend) throws {
        let loop = try EventLoop(backend: backend)
        let ran = Recorder<Int>()
        for index in 0..<1_000 {
            try loop.execute { ran.append(index) }
        }
        loop.stop()
        try EventLoop.spawnThread(name: "stop-test") { loop.run() }
        #expect(loop.waitUntilStopped(timeout: patience))
        #expect(ran.values == Array(0..<1_000))
    }

    @Test("work submitted to a running loop just before stop is not lost", arguments: backends)
    func workRacingWithStopRuns(backend: EventLoop.Backend) throws {
        let loop = try EventLoop.startThread(name: "stop-test", backend: backend)
        let ran = Atomic<Int>(0)
        var accepted = 0
        for _ in 0..<10_000 {
            try loop.execute { ran.wrappingAdd(1, ordering: .relaxed) }
            accepted += 1
        }
        loop.stop()
        #expect(loop.waitUntilStopped(timeout: patience))
        #expect(ran.load(ordering: .relaxed) == accepted)
    }

    @Test("pending timers are told the loop stopped, in deadline order; cancelled ones are not", arguments: backends)
    func pendingTimersGetLoopStopped(backend: EventLoop.Backend) throws {
        let clock = ManualClock()
        let loop = try EventLoop.startThread(name: "stop-test", clock: clock, backend: backend)
        let events = Recorder<String>()
        loop.schedule(after: .seconds(1)) { events.append("1s \($0)") }
        loop.schedule(after: .seconds(3)) { events.append("3s \($0)") }
        loop.schedule(after: .seconds(2)) { events.append("2s \($0)") }
        let cancelled = loop.schedule(after: .seconds(2)) { events.append("cancelled \($0)") }
        loop.cancel(cancelled)
        clock.advance(by: .seconds(1))
        #expect(loop.flush())
        loop.stop()
        #expect(loop.waitUntilStopped(timeout: patience))
        #expect(events.values == ["1s fired", "2s loopStopped", "3s loopStopped"])
    }

    @Test("execute after stop throws loopStopped and does not run the work", arguments: backends)
    func executeAfterStopThrows(backend: EventLoop.Backend) throws {
        let loop = try EventLoop.startThread(name: "stop-test", backend: backend)
        loop.stop()
        #expect(loop.isStopping)
        let ran = Recorder<Int>()
        let error = #expect(throws: LoopError.self) {
            try loop.execute { ran.append(1) }
        }
        #expect(error?.code == .loopStopped)
        #expect(error?.operation == "execute")
        #expect(error?.errno == nil)
        #expect(loop.waitUntilStopped(timeout: patience))
        #expect(loop.isStopped)
        #expect(throws: LoopError.self) { try loop.execute { ran.append(2) } }
        #expect(ran.values.isEmpty)
    }

    @Test("a timer scheduled after stop is told loopStopped at once", arguments: backends)
    func scheduleAfterStopReportsLoopStopped(backend: EventLoop.Backend) throws {
        let loop = try EventLoop.startThread(name: "stop-test", backend: backend)
        loop.stop()
        #expect(loop.waitUntilStopped(timeout: patience))
        let events = Recorder<TimerEvent>()
        let handle = loop.schedule(after: .seconds(1)) { events.append($0) }
        #expect(events.values == [.loopStopped])
        #expect(handle.isFinished)
    }

    @Test("work running during shutdown cannot submit more, but its timers are told loopStopped", arguments: backends)
    func shutdownWorkSeesStoppedLoop(backend: EventLoop.Backend) throws {
        let loop = try EventLoop(backend: backend)
        let results = Recorder<String>()
        try loop.execute {
            do {
                try loop.execute { results.append("nested ran") }
            } catch {
                results.append("nested refused")
            }
            loop.schedule(after: .seconds(1)) { results.append("timer \($0)") }
        }
        loop.stop()
        try EventLoop.spawnThread(name: "stop-test") { loop.run() }
        #expect(loop.waitUntilStopped(timeout: patience))
        #expect(results.values == ["nested refused", "timer loopStopped"])
    }

    @Test("stop called from loop work ends run() on the calling thread", arguments: backends)
    func stopFromLoopEndsRun(backend: EventLoop.Backend) throws {
        let loop = try EventLoop(backend: backend)
        try loop.execute { loop.stop() }
        loop.run()
        #expect(loop.isStopped)
        #expect(!loop.inLoop)
    }
}
