import Glibc

extension EventLoop {
    /// Runs the loop on the calling thread, which becomes the loop thread, until ``stop()`` is
    /// called and the shutdown it asks for is complete. Call it once per loop.
    ///
    /// Each iteration: sleep in the backend (unless work or a due timer is waiting), consume
    /// the events, run the queued tasks in order, hand received signals to the handlers, fire
    /// the due timers. Before sleeping the backend's deadline is moved if the earliest deadline
    /// changed.
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
        iterations &+= 1
        let blocking = prepareToWait()
        waitForEvents(blocking: blocking)
        let stopRequested = runQueuedTasks()
        deliverSignals()
        guard !stopRequested else { return false }
        fireDueTimers()
        return true
    }

    /// Compacts the heap if worthwhile, moves the backend's deadline if the earliest deadline
    /// changed, and parks: returns whether the loop may sleep (`false`: only poll, work or a
    /// timer is due).
    private func prepareToWait() -> Bool {
        compactTimersIfWorthwhile()
        let now = firingTime
        if let next = timers.nextDeadline(), next <= now {
            return false
        }
        if waiting == .timerFd, let change = timers.deadlineChange(now: now) {
            let deadline: LoopInstant? = switch change {
            case .arm(let deadline): deadline
            case .disarm: nil
            }
            mustSucceed { () throws(LoopError) in try eventBackend.setDeadline(deadline) }
        }
        return submissions.park()
    }

    /// Waits in the backend and consumes what it reports: resets the eventfd, and reads every
    /// pending signal into `receivedSignals`.
    private func waitForEvents(blocking: Bool) {
        let ready = mustSucceed { () throws(LoopError) in try eventBackend.wait(blocking: blocking) }
        if ready.contains(.wakeUp) {
            descriptorReads &+= 1
            submissions.consumeWakeUp()
        }
        if ready.contains(.signal) {
            while true {
                descriptorReads &+= 1
                guard let signal = mustSucceed({ () throws(LoopError) in try SignalFd.read(signalFd.rawValue) }) else {
                    break
                }
                receivedSignals.append(signal)
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
            mustSucceed { () throws(LoopError) in try eventBackend.watchSignals() }
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
        // The backend first: an io_uring poll holds the signalfd open until the ring is gone.
        eventBackend.close()
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
