import Glibc
import Testing

@testable import Loop

/// The paths only the io_uring backend has: its timeout request moved in place, multishot
/// polls the kernel ends, a full submission queue. The deadline test runs on both backends.
@Suite("io_uring backend")
struct IOUringBackendTests {
    @Test("a deadline moved earlier and later thousands of times fires once, at the last deadline", arguments: backends)
    func deadlineMovedThousandsOfTimes(backend: EventLoop.Backend) throws {
        try withLoop(backend: backend) { loop in
            let moves = 2_000
            let strays = Recorder<Int>()
            let far = loop.now + .seconds(3_600)
            var previous: TimerHandle?
            for index in 0..<moves {
                // The previous timer is cancelled, so the earliest deadline becomes this one:
                // later than the previous at even steps, earlier at odd ones.
                let offset: Duration = .milliseconds(index % 2 == 0 ? index : -index)
                let handle = loop.schedule(at: far + offset) { event in
                    if event == .fired { strays.append(index) }
                }
                if let previous { loop.cancel(previous) }
                previous = handle
                // The first flush runs in the iteration that inserts the timer; the second
                // after the next one began, which moved the deadline before anything else.
                #expect(loop.flush())
                #expect(loop.flush())
            }
            let last = loop.now + .milliseconds(50)
            let firings = Recorder<LoopInstant>()
            let fired = Latch()
            loop.schedule(at: last) { event in
                if event == .fired { firings.append(loop.now) }
                fired.signal()
            }
            loop.cancel(try #require(previous))
            #expect(fired.wait())
            #expect(loop.flush())
            let times = firings.values
            try #require(times.count == 1)
            #expect(times[0] >= last)
            // Generous: on a loaded 2-core machine the loop thread may wait for a core.
            #expect(times[0] - last < .seconds(2))
            #expect(strays.values.isEmpty)
            if backend == .ioUring {
                let counts = try loop.onLoop {
                    let ring = ioUring(loop)
                    return [ring.timeoutsAdded, ring.timeoutsMoved, ring.timeoutsFired]
                }
                // One request for the whole test, moved in place at every change, fired once.
                #expect(counts[0] == 1)
                #expect(counts[1] >= UInt64(moves))
                #expect(counts[2] == 1)
            }
        }
    }

    @Test("a multishot poll that the kernel ends is re-armed, and wake-ups keep arriving")
    func endedMultishotPollIsRearmed() throws {
        try withLoop(backend: .ioUring) { loop in
            let before = try loop.onLoop { ioUring(loop).pollRearms }
            // On the loop thread each write's return to user space posts one completion of the
            // eventfd's poll; more writes than the completion queue holds (twice the
            // submission entries) overflow it, and the kernel ends the multishot poll with a
            // completion that lacks IORING_CQE_F_MORE.
            let writes = 4 * Int(IOUringBackend.defaultEntries)
            try loop.execute {
                for _ in 0..<writes {
                    try? EventFd.write(loop.submissions.eventFd.rawValue)
                }
            }
            #expect(loop.flush())
            let after = try loop.onLoop { ioUring(loop).pollRearms }
            #expect(after > before)
            // Each round trip parks the loop, so it is woken through the re-armed poll.
            for _ in 0..<200 {
                #expect(loop.flush())
            }
        }
    }

    @Test("a full submission queue is submitted early: a burst of timers and registrations loses nothing")
    func fullSubmissionQueueLosesNothing() throws {
        // A ring of one submission entry (and two completion entries).
        let loop = try EventLoop(
            clock: MonotonicClock(), backend: .ioUring, environment: nil
        ) { () throws(LoopError) in
            try IOUringRing(entries: 1)
        }
        let count = 2_000
        let fired = Recorder<Int>()
        let finished = Latch(count: count + 1)
        let start = loop.now + .milliseconds(20)
        // Queued before the loop runs, so its first iteration takes both: the signalfd's poll
        // fills the one entry, and the deadline change of the next iteration finds it full.
        loop.onSignal { _ in }
        loop.schedule(at: start) { _ in finished.signal() }
        try EventLoop.spawnThread(name: "uring-sq-test") { loop.run() }
        defer {
            loop.stop()
            #expect(loop.waitUntilStopped(timeout: patience))
        }
        onThreads(2) { thread in
            for index in stride(from: thread, to: count, by: 2) {
                loop.schedule(at: start + .microseconds(10 * index)) { event in
                    if event == .fired { fired.append(index) }
                    finished.signal()
                }
                try? loop.execute {}
            }
        }
        #expect(finished.wait())
        #expect(fired.values.sorted() == Array(0..<count))
        let retries = try loop.onLoop { ioUring(loop).submissionQueueFullRetries }
        #expect(retries > 0)
    }
}

/// The io_uring backend of `loop`. Loop thread only.
private func ioUring(_ loop: EventLoop) -> IOUringBackend {
    loop.eventBackend as! IOUringBackend
}
