import Foundation
import Loop
import BSON

/// Store calls and user code, run off the loop's thread of control and brought back to it:
/// the machine's requests, the shell's own, and `onJobExited` or check-ins.
extension Scheduler {
    /// A store call the machine asked for: its result goes back to the machine as the event
    /// `answer`, with the clocks' readings at that moment. The machine counts the call.
    func call<Value: Sendable>(
        _ operation: @escaping @Sendable () async throws(JobStoreError) -> Value,
        answer: @escaping @Sendable (inout WorkerStateMachine, Result<Value, JobStoreError>, LoopInstant, Date, inout [Action]) -> Void
    ) {
        run(store: operation) { result in
            self.handle { answer(&$0, result, $1, $2, &$3) }
        }
    }

    /// A store call of the shell's own (crons, retention): counted as side work so that
    /// shutdown waits for it; a success ends a store outage.
    func sideCall<Value: Sendable>(
        _ operation: @escaping @Sendable () async throws(JobStoreError) -> Value,
        then: @escaping @Sendable (Result<Value, JobStoreError>) -> Void
    ) {
        machine.sideWorkBegan()
        run(counted: operation, then: then)
    }

    /// ``sideCall(_:then:)`` for work already counted (by the machine's ``WorkerStateMachine/waitFor(_:into:)``).
    func run<Value: Sendable>(
        counted operation: @escaping @Sendable () async throws(JobStoreError) -> Value,
        then: @escaping @Sendable (Result<Value, JobStoreError>) -> Void
    ) {
        run(store: operation) { result in
            if case .success = result { self.machine.storeAnswered(now: self.loop.now, date: Date()) }
            then(result)
            self.handle { machine, _, _, actions in machine.sideWorkEnded(into: &actions) }
        }
    }

    /// Runs a store call as a task on the loop's executor and hands its result to `then` on the
    /// loop thread. Loop thread only.
    ///
    /// The task starts at once, on this thread (`Task.immediate`): a call that does not suspend
    /// (the memory store) has run, and `then` with it, when this returns, without a trip
    /// through the loop's queue; one that waits on I/O suspends, the loop goes on meanwhile,
    /// and `then` runs when the task resumes on the loop. Never for user code: see
    /// ``detached(_:)``.
    func run<Value: Sendable>(
        store operation: @escaping @Sendable () async throws(JobStoreError) -> Value,
        then: @escaping @Sendable (Result<Value, JobStoreError>) -> Void
    ) {
        loop.preconditionInLoop()
        let loop = loop
        let began = Tracepoints.storeRoundTripEnabled ? DispatchTime.now().uptimeNanoseconds : nil
        Task.immediate(executorPreference: loop) {
            let result: Result<Value, JobStoreError>
            do throws(JobStoreError) { result = .success(try await operation()) } catch { result = .failure(error) }
            if let began {
                let failed = if case .failure = result { true } else { false }
                Tracepoints.storeRoundTrip(nanoseconds: DispatchTime.now().uptimeNanoseconds &- began, failed: failed)
            }
            if loop.inLoop { return then(result) }
            do { try loop.execute { then(result) } } catch {
                // The loop stopped first: only possible after the worker itself stopped it.
                self.logger.debug("store result arrived after the loop stopped")
            }
        }
    }

    /// Runs user code (`onJobExited`, a monitor's check-in) as a task on the global executor,
    /// never on the loop thread, and reports it over to the machine, which counted it.
    func detached(_ operation: @escaping @Sendable () async -> Void) {
        let loop = loop
        Task {
            await operation()
            do {
                try loop.execute { self.handle { machine, _, _, actions in machine.sideWorkEnded(into: &actions) } }
            } catch {
                self.logger.debug("user code ended after the loop stopped")
            }
        }
    }

    /// The loop deadline of wall-clock `date` (clamped: see ``WorkerStateMachine/deadline(for:now:date:)``).
    func deadline(for date: Date) -> LoopInstant {
        WorkerStateMachine.deadline(for: date, now: loop.now, date: Date())
    }
}
