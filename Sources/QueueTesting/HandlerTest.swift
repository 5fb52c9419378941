import Foundation
import Queue
import Synchronization

/// Runs one of your job handlers as a worker runs it, on a clock your test moves: the same
/// ``JobSignal``, the same ending rules (finished, errored, killed, paused or errored when
/// interrupted, by resumability), the same maximum runtime and grace period; no store, no
/// event loop, no sleeping.
///
/// ```swift
/// let test = HandlerTest(definition, maxRuntime: .seconds(60))
/// let run = try test.start(sendMail, Mail(to: "a@example.com", subject: nil))
/// run.advance(by: .seconds(61))                   // past the maximum runtime: the signal fires
/// let ending = await run.ending()
/// #expect(ending.status == .errored)
/// #expect(ending.output.error == "Max runtime exceeded")
/// ```
///
/// Time moves only when the test calls ``HandlerRun/advance(by:)``: a maximum runtime or a
/// grace period runs out then, and the recorded duration is the time advanced. What the
/// handler does with real time (its own sleeps, timeouts) is up to it.
public struct HandlerTest: Sendable {
    /// The definition whose handler runs.
    public let definition: JobDefinition
    /// How long a run may last before its signal fires with ``JobSignal/Reason/maxRuntimeExceeded``;
    /// nil for none.
    public let maxRuntime: Duration?
    /// How long a signalled handler has to return before it is abandoned (the worker's
    /// ``QueueConfiguration/shutdownGracePeriod``).
    public let gracePeriod: Duration

    /// A test of `definition`'s handler; `maxRuntime` defaults to the definition's own (a cron
    /// task's `maxRuntimeInMinutes`).
    public init(_ definition: JobDefinition, maxRuntime: Duration? = nil, gracePeriod: Duration = .seconds(10)) {
        self.definition = definition
        self.maxRuntime = maxRuntime ?? definition.maxRuntime
        self.gracePeriod = gracePeriod
    }

    /// Starts the handler on a running job of `name` with `payload`, dated `date`.
    public func start(_ name: String = "test", payload: BSONDocument? = nil, at date: Date = Date()) -> HandlerRun {
        let job = Job(
            name: name, status: .running, payload: payload, scheduledFor: date, startedAt: date, updatedAt: date,
            createdAt: date, workerId: ObjectId())
        return HandlerRun(job: job, test: self)
    }

    /// Starts the handler on a job of `name` whose payload is `payload`, encoded as
    /// ``JobClient/schedule(_:_:at:concurrency:)`` stores it.
    /// - Throws: the encoder's error when `payload` cannot be stored.
    public func start<Payload>(_ name: JobName<Payload>, _ payload: Payload, at date: Date = Date()) throws -> HandlerRun {
        start(name.name, payload: try BSONEncoder().encode(payload), at: date)
    }
}

/// One run of a handler under a ``HandlerTest``: move its clock, signal it, await its ending.
/// Thread-safe.
public final class HandlerRun: Sendable {
    /// The job the handler runs.
    public let job: Job
    /// The signal the handler receives.
    public let signal = JobSignal()
    private let test: HandlerTest

    private struct State {
        /// Time advanced since the start.
        var elapsed = Duration.zero
        /// When the signal fired, in elapsed time.
        var signalledAt: Duration?
        var ending: HandlerEnding?
        var waiters: [CheckedContinuation<HandlerEnding, Never>] = []
    }

    private let state = Mutex(State())

    init(job: Job, test: HandlerTest) {
        self.job = job
        self.test = test
        let (job, signal) = (job, signal)
        switch test.definition.body {
        case .async(let handler):
            signal.attach(Task {
                let outcome: HandlerOutcome
                do { outcome = .returned(try await handler(job, signal)) } catch { outcome = .thrown(error) }
                signal.detach()
                self.end(outcome)
            })
        case .cpuBound(let handler):
            DispatchQueue.global().async {
                let outcome: HandlerOutcome
                do { outcome = .returned(try handler(job, signal)) } catch { outcome = .thrown(error) }
                self.end(outcome)
            }
        }
    }

    /// Moves the run's clock forward: past the maximum runtime the signal fires; a handler still
    /// running a grace period after its signal fired is abandoned, as a worker abandons it.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "time only moves forward")
        let (maxRuntime, grace) = (test.maxRuntime, test.gracePeriod)
        let (fire, abandon) = state.withLock { state -> (Bool, Bool) in
            state.elapsed += duration
            guard state.ending == nil else { return (false, false) }
            var fire = false
            if let maxRuntime, state.signalledAt == nil, state.elapsed >= maxRuntime {
                state.signalledAt = state.elapsed
                fire = true
            }
            let abandon = state.signalledAt.map { state.elapsed >= $0 + grace } ?? false
            return (fire, abandon)
        }
        if fire { signal.fire(.maxRuntimeExceeded) }
        if abandon { end(.abandoned) }
    }

    /// Kills the job, as `job-processor kill` or ``JobClient/kill(_:)`` does.
    public func kill() {
        interrupt(.killed)
    }

    /// Signals the handler that its worker is shutting down.
    public func shutDown() {
        interrupt(.shutdown)
    }

    /// The job's ending, once its handler returned or threw (or was abandoned).
    public func ending() async -> HandlerEnding {
        await withCheckedContinuation { continuation in
            let ending = state.withLock { state -> HandlerEnding? in
                if state.ending == nil { state.waiters.append(continuation) }
                return state.ending
            }
            if let ending { continuation.resume(returning: ending) }
        }
    }

    private func interrupt(_ reason: JobSignal.Reason) {
        let first = state.withLock { state -> Bool in
            guard state.ending == nil, state.signalledAt == nil else { return false }
            state.signalledAt = state.elapsed
            return true
        }
        if first { signal.fire(reason) }
    }

    /// Decides the ending once, as the worker does; later outcomes (a handler returning after
    /// it was abandoned) are ignored.
    private func end(_ outcome: HandlerOutcome) {
        let resumable = test.definition.resumable
        let (ending, waiters) = state.withLock { state -> (HandlerEnding?, [CheckedContinuation<HandlerEnding, Never>]) in
            guard state.ending == nil else { return (nil, []) }
            let decided = JobEnding.decide(outcome, signal: signal.reason, resumable: resumable, duration: state.elapsed)
            let ending = HandlerEnding(status: decided.status, output: decided.output)
            state.ending = ending
            defer { state.waiters = [] }
            return (ending, state.waiters)
        }
        guard let ending else { return }
        for waiter in waiters { waiter.resume(returning: ending) }
    }
}

/// How a run under a ``HandlerTest`` ended: what the worker would record.
public struct HandlerEnding: Sendable, Equatable {
    /// `finished`, `errored`, `killed`, or `paused` (a resumable job interrupted).
    public let status: JobStatus
    /// The recorded output: the result, or the error message, and the duration (time advanced).
    public let output: JobOutput
}
