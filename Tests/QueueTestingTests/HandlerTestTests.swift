import Foundation
import Synchronization
import Testing
import Queue
import QueueTesting

/// A user's handler under ``HandlerTest``: the endings a worker would record, with time moved by
/// the test.
@Suite("HandlerTest")
struct HandlerTestTests {
    /// Holds a handler until the test opens it; a fired signal does not open it, so the handler
    /// plays one that ignores its signal.
    final class Gate: Sendable {
        private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        func wait() async {
            await withCheckedContinuation { continuation in
                let open = state.withLock { state in
                    if !state.open { state.waiters.append(continuation) }
                    return state.open
                }
                if open { continuation.resume() }
            }
        }

        func open() {
            let waiters = state.withLock { state in
                state.open = true
                defer { state.waiters = [] }
                return state.waiters
            }
            waiters.forEach { $0.resume() }
        }
    }

    /// A handler that returns when its signal fires, throwing as a cooperative handler does.
    static let cooperative = JobDefinition { _, signal in
        let reason = await signal.cancelled()
        throw JobSignal.Cancelled(reason: reason)
    }

    struct Mail: Codable, Sendable {
        var to: String
    }

    @Test func aHandlerThatReturnsFinishesWithItsResult() async {
        let run = HandlerTest(JobDefinition { job, _ in .string("sent to \(job.payload?["to"]?.stringValue ?? "?")") })
            .start(payload: ["to": "a@example.com"])
        let ending = await run.ending()
        #expect(ending.status == .finished)
        #expect(ending.output.result == .string("sent to a@example.com"))
    }

    @Test func aHandlerThatThrowsErrorsWithItsMessage() async {
        struct MailboxFull: Error, CustomStringConvertible { var description: String { "mailbox full" } }
        let ending = await HandlerTest(JobDefinition { _, _ in throw MailboxFull() }).start().ending()
        #expect(ending.status == .errored)
        #expect(ending.output.error == "mailbox full")
    }

    @Test func passingTheMaximumRuntimeFiresTheSignalAndTheRunEndsErrored() async {
        let run = HandlerTest(Self.cooperative, maxRuntime: .seconds(60)).start()
        run.advance(by: .seconds(59))
        #expect(!run.signal.isCancelled, "not yet")
        run.advance(by: .seconds(1))
        #expect(run.signal.reason == .maxRuntimeExceeded)
        let ending = await run.ending()
        #expect(ending.status == .errored)
        #expect(ending.output.error == "Max runtime exceeded")
        #expect(ending.output.duration == "1m 0s", "the duration is the time advanced")
    }

    @Test func aResumableHandlerInterruptedByShutdownPauses() async {
        var definition = Self.cooperative
        definition.resumable = true
        let run = HandlerTest(definition).start()
        run.shutDown()
        #expect(await run.ending().status == .paused)
    }

    @Test func aKilledJobEndsKilledWhateverItsHandlerDoes() async {
        let run = HandlerTest(Self.cooperative).start()
        run.kill()
        let ending = await run.ending()
        #expect(ending.status == .killed)
        #expect(ending.output.error == "Killed")
    }

    @Test func aHandlerIgnoringItsSignalIsAbandonedAfterTheGracePeriod() async {
        let gate = Gate()
        let run = HandlerTest(JobDefinition { _, _ in
            await gate.wait()
            return nil
        }, gracePeriod: .seconds(10)).start()
        run.shutDown()
        run.advance(by: .seconds(9))
        run.advance(by: .seconds(1))
        let ending = await run.ending()
        gate.open()
        #expect(ending.status == .errored)
        #expect(ending.output.error == "Interrupted")
    }

    @Test func aTypedPayloadReachesTheHandlerAndAnUndecodableOneErrorsNamingTheField() async throws {
        let sendMail = JobName<Mail>("send-mail")
        let test = HandlerTest(JobDefinition(sendMail) { mail, _, _ in .string(mail.to) })
        #expect(await (try test.start(sendMail, Mail(to: "b@example.com"))).ending().output.result == .string("b@example.com"))
        let broken = await test.start("send-mail", payload: ["to": 42]).ending()
        #expect(broken.status == .errored)
        #expect(broken.output.error?.contains("payload.to") == true)
    }

    @Test func aCPUBoundHandlerRunsToo() async {
        let ending = await HandlerTest(.cpuBound { _, _ in .int32(7) }).start().ending()
        #expect(ending.output.result == .int32(7))
    }
}
