import Synchronization
import Testing

@testable import Loop

@Suite("execute")
struct ExecuteTests {
    @Test("work submitted from another thread runs on the loop thread", arguments: backends)
    func runsOnLoopThread(backend: EventLoop.Backend) throws {
        try withLoop(backend: backend) { loop in
            #expect(!loop.inLoop)
            let inLoop = try loop.onLoop { loop.inLoop }
            #expect(inLoop)
        }
    }

    @Test("submissions from 8 threads x 10k all run, each thread's in its order", arguments: backends)
    func manyThreadsKeepPerThreadOrder(backend: EventLoop.Backend) throws {
        let threads = 8
        let perThread = 10_000
        try withLoop(backend: backend) { loop in
            // Loop-bound state: appended to by loop callbacks only, so no lock.
            let seen = LoopBound([[Int]](repeating: [], count: threads), loop: loop)
            let failures = Atomic<Int>(0)
            onThreads(threads) { thread in
                for index in 0..<perThread {
                    do {
                        try loop.execute { seen.value[thread].append(index) }
                    } catch {
                        failures.wrappingAdd(1, ordering: .relaxed)
                    }
                }
            }
            #expect(failures.load(ordering: .relaxed) == 0)
            #expect(loop.flush())
            let result = try loop.onLoop { seen.value }
            for thread in 0..<threads {
                #expect(result[thread].count == perThread, "thread \(thread) lost work")
                #expect(result[thread] == Array(0..<perThread), "thread \(thread) out of order")
            }
        }
    }

    @Test("work submitted by loop work runs after the work already queued", arguments: backends)
    func nestedWorkRunsLater(backend: EventLoop.Backend) throws {
        try withLoop(backend: backend) { loop in
            let order = Recorder<String>()
            let done = Latch()
            // Both are queued from the loop thread, so "queued" is in the queue before "outer"
            // runs (from two threads, their relative order would be a race).
            try loop.execute {
                try? loop.execute {
                    order.append("outer")
                    try? loop.execute {
                        order.append("nested")
                        done.signal()
                    }
                }
                try? loop.execute { order.append("queued") }
            }
            #expect(done.wait())
            #expect(order.values == ["outer", "queued", "nested"])
        }
    }

    @Test("an idle loop wakes up for each submission", arguments: backends)
    func idleLoopWakesUp(backend: EventLoop.Backend) throws {
        try withLoop(backend: backend) { loop in
            // Each round lets the loop park in epoll_wait again before the next submission.
            for _ in 0..<200 {
                #expect(loop.flush())
            }
        }
    }
}
