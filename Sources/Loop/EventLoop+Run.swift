import Glibc

extension EventLoop {
    /// Runs the loop on the calling thread, which becomes the loop thread, until ``stop()`` is
    /// called and the shutdown it asks for is complete. Call it once per loop.
    ///
    /// Each iteration: sleep in `epoll_wait` (unless work or a due timer is waiting), consume
    /// the events, run the queued tasks in order, hand received signals to the handlers, fire
    /// the due timers. Before sleeping the timerfd is re-armed if the earliest deadline changed.
    ///
    /// Blocks SIGTERM and SIGINT in the calling thread (see ``blockTerminationSignals()``); the
    /// mask stays blocked after `run()` returns. A system call failing inside the loop (which
    /// only a bug can cause, e.g. `EBADF`) traps with the call's name and errno: there is no
    /// caller to throw to.
    public func run() {
        precondition(lifecycle.begin(), "EventLoop.run() must be called once")
        loopThread.store(pthread_self(), ordering: .relaxed)
        Self.blockTerminationSignals()
        while iterate() {}
        shutdown()
        loopThread.store(0, ordering: .relaxed)
        lifecycle.finish()
    }

    /// One iteration; `false` once a stop was requested.
    private func iterate() -> Bool {
        let timeout = prepareToWait()
        waitForEvents(timeoutMilliseconds: timeout)
        let stopRequested = runQueuedTasks()
        deliverSignals()
        guard !stopRequested else { return false }
        fireDueTimers()
        return true
    }

    /// Compacts the heap if worthwhile, re-arms the timerfd if the earliest deadline changed,
    /// and parks: returns -1 (sleep until an event) or 0 (only poll: work or a timer is due).
    private func prepareToWait() -> Int32 {
        compactTimersIfWorthwhile()
        let now = firingTime
        if let next = timers.nextDeadline(), next <= now {
            return 0
        }
        if waiting == .timerFd, let change = timers.timerFdChange(now: now) {
            let deadline: LoopInstant? = switch change {
            case .arm(let deadline): deadline
            case .disarm: nil
            }
            mustSucceed { () throws(LoopError) in try TimerFd.settime(timerFd.rawValue, deadline: deadline) }
        }
        return submissions.park() ? -1 : 0
    }

    /// Waits in `epoll_wait` and consumes what it reports: resets the eventfd and the timerfd,
    /// and reads every pending signal into `receivedSignals`.
    private func waitForEvents(timeoutMilliseconds: Int32) {
        let count = mustSucceed { () throws(LoopError) in
            try Epoll.wait(
                epoll: epoll.rawValue, events: eventMasks, data: eventSources,
                capacity: Self.eventCapacity, timeoutMilliseconds: timeoutMilliseconds)
        }
        for index in 0..<count {
            switch EventSource(rawValue: eventSources[index]) {
            case .wakeUp:
                submissions.consumeWakeUp()
            case .timer:
                _ = mustSucceed { () throws(LoopError) in try TimerFd.read(timerFd.rawValue) }
            case .signal:
                while let signal = mustSucceed({ () throws(LoopError) in try SignalFd.read(signalFd.rawValue) }) {
                    receivedSignals.append(signal)
                }
            case nil:
                preconditionFailure("epoll reported an unknown source \(eventSources[index])")
            }
        }
    }

    /// Takes every queued task in one swap and runs them in order; returns whether a stop was
    /// requested (the tasks taken still run).
    private func runQueuedTasks() -> Bool {
        let stopRequested = submissions.drain(into: &taskBatch)
        for task in taskBatch {
            switch task {
            case .work(let work):
                work()
            case .timer(let record):
                timers.insert(record)
            case .signalHandler(let handler):
                registerSignalHandler(handler)
            case .clockAdvanced(let instant):
                announcedTime = max(announcedTime, instant)
                fireDueTimers()
            }
        }
        taskBatch.removeAll(keepingCapacity: true)
        return stopRequested
    }

    /// Fires, in (deadline, submission) order, every timer due now that nobody cancelled and
    /// that was scheduled before this pass began (see ``TimerQueue/popDue(at:submittedBefore:)``).
    private func fireDueTimers() {
        let now = firingTime
        let limit = nextTimerSequence.load(ordering: .relaxed)
        while let record = timers.popDue(at: now, submittedBefore: limit) {
            if record.claim() {
                record.body(.fired)
            }
        }
    }

    /// Hands each received signal, in arrival order, to every handler.
    private func deliverSignals() {
        guard !receivedSignals.isEmpty else { return }
        for signal in receivedSignals {
            for handler in signalHandlers {
                handler(signal)
            }
        }
        receivedSignals.removeAll(keepingCapacity: true)
    }

    /// Loop thread: adds a handler; the first one switches on reading the signalfd.
    func registerSignalHandler(_ handler: @escaping @Sendable (Int32) -> Void) {
        if signalHandlers.isEmpty {
            mustSucceed { () throws(LoopError) in
                try Epoll.modify(
                    epoll: epoll.rawValue, fd: signalFd.rawValue,
                    events: Epoll.readable, data: EventSource.signal.rawValue)
            }
        }
        signalHandlers.append(handler)
    }

    /// Drops cancelled timers from the heap once they are at least half of it (and at least
    /// 1024): amortised O(1) per cancellation, bounded memory for schedule-then-cancel.
    private func compactTimersIfWorthwhile() {
        let cancelled = cancelledTimers.load(ordering: .relaxed)
        guard cancelled >= 1024, cancelled * 2 >= timers.count else { return }
        timers.removeCancelled()
        cancelledTimers.wrappingSubtract(cancelled, ordering: .relaxed)
    }

    /// The end of `run()`: runs the work queued before ``stop()`` (the queue is closed, so
    /// nothing new arrives), delivers signals already read, tells every pending timer
    /// ``TimerEvent/loopStopped`` in deadline order (including timers that this last work
    /// scheduled), and closes the descriptors the loop thread owns.
    private func shutdown() {
        _ = runQueuedTasks()
        deliverSignals()
        while let record = timers.popNext() {
            if record.claim() {
                record.body(.loopStopped)
            }
        }
        signalHandlers.removeAll()
        epoll.close()
        timerFd.close()
        signalFd.close()
    }

    /// Runs a system call that cannot fail unless the loop has a bug, trapping with its error.
    private func mustSucceed<Result>(_ body: () throws(LoopError) -> Result) -> Result {
        do {
            return try body()
        } catch {
            fatalError("event loop: \(error)")
        }
    }
}
