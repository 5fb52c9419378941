import BSON
import Foundation

/// A job's name tied to the type of its payload, shared by the code that schedules the job and
/// the definition that runs it (as swift-jobs' `JobName<Parameters>` is), so that both agree on
/// the payload at compile time.
///
/// ```swift
/// struct Mail: Codable, Sendable { var to: String; var subject: String? }
/// let sendMail = JobName<Mail>("send-mail")
///
/// configuration.jobs[sendMail.name] = JobDefinition(sendMail) { mail, job, signal in
///     try await mailer.send(to: mail.to)
///     return nil
/// }
/// try await client.schedule(sendMail, Mail(to: "a@example.com", subject: nil))
/// ```
///
/// The payload is stored as the document ``BSONEncoder`` makes of it, in the same `payload`
/// field as an untyped job's, so the stores' schemas do not change and untyped code can read it.
public struct JobName<Payload: Codable & Sendable>: Sendable, Hashable, CustomStringConvertible {
    /// The name jobs are stored under (a key of ``QueueConfiguration/jobs``).
    public let name: String

    /// Names jobs `name` whose payload is a `Payload`; the definition that runs them goes in
    /// ``QueueConfiguration/jobs`` under the same name.
    public init(_ name: String) { self.name = name }

    public var description: String { name }
}

/// A stored payload that is not the shape a typed definition expects: the job ends `errored`
/// with this message, naming the field (`payload.to: missing`), never its value.
public struct UndecodablePayload: Error, Sendable, CustomStringConvertible {
    /// The field and the problem.
    public let description: String
}

extension Job {
    /// The payload decoded as `type` (an absent payload reads as an empty document).
    /// - Throws: ``UndecodablePayload`` naming the field that does not fit.
    public func payload<Payload: Decodable>(as type: Payload.Type) throws(UndecodablePayload) -> Payload {
        do {
            return try BSONDecoder().decode(type, from: payload ?? [:])
        } catch let error as DecodingError {
            throw UndecodablePayload(description: error.fieldDescription(under: "payload"))
        } catch {
            throw UndecodablePayload(description: "payload: \(error)")
        }
    }
}

extension JobDefinition {
    /// A definition whose handler receives the job's payload decoded as `Payload`; a payload
    /// that does not decode ends the job `errored` naming the field (``UndecodablePayload``),
    /// without calling the handler. The other settings are those of
    /// ``init(resumable:tag:concurrency:maxRuntime:priority:retry:onJobExited:handler:)``.
    public init<Payload>(
        _ name: JobName<Payload>, resumable: Bool = false, tag: String? = nil, concurrency: ConcurrencyMode = .concurrent,
        maxRuntime: Duration? = nil, priority: Int = 0, retry: RetryPolicy = .none, onJobExited: ExitHandler? = nil,
        handler: @escaping @Sendable (Payload, Job, JobSignal) async throws -> BSON?
    ) {
        self.init(
            resumable: resumable, tag: tag, concurrency: concurrency, maxRuntime: maxRuntime, priority: priority,
            retry: retry, onJobExited: onJobExited
        ) { job, signal in
            try await handler(try job.payload(as: Payload.self), job, signal)
        }
    }
}

extension JobClient {
    /// Stores a job of `name` with `payload` encoded by ``BSONEncoder``, as
    /// ``schedule(_:payload:at:concurrency:priority:expiresAt:uniqueKey:maxAttempts:)`` does.
    /// - Throws: ``QueueError`` `invalidPayload` when the payload cannot be encoded (a
    ///   top-level value that is not a keyed container, a number BSON cannot hold), and what the
    ///   untyped call throws.
    @discardableResult
    public func schedule<Payload>(
        _ name: JobName<Payload>, _ payload: Payload, at date: Date? = nil, concurrency: ConcurrencyMode = .concurrent,
        priority: Int? = nil, expiresAt: Date? = nil, uniqueKey: String? = nil, maxAttempts: Int? = nil
    ) async throws(QueueError) -> Job {
        try await schedule(
            name.name, payload: try Self.encode(payload, of: name), at: date, concurrency: concurrency, priority: priority,
            expiresAt: expiresAt, uniqueKey: uniqueKey, maxAttempts: maxAttempts)
    }

    static func encode<Payload>(_ payload: Payload, of name: JobName<Payload>) throws(QueueError) -> BSONDocument {
        do { return try BSONEncoder().encode(payload) } catch {
            throw QueueError(.invalidPayload, "the payload of \"\(name)\" cannot be encoded: \(error)")
        }
    }
}

extension JobProcessor {
    /// Stores a job of `name` with `payload` encoded by ``BSONEncoder``, with its definition's
    /// concurrency (``schedule(_:payload:at:priority:expiresAt:uniqueKey:maxAttempts:)``).
    @discardableResult
    public func schedule<Payload>(
        _ name: JobName<Payload>, _ payload: Payload, at date: Date? = nil, priority: Int? = nil, expiresAt: Date? = nil,
        uniqueKey: String? = nil, maxAttempts: Int? = nil
    ) async throws(QueueError) -> Job {
        try await schedule(
            name.name, payload: try JobClient.encode(payload, of: name), at: date, priority: priority, expiresAt: expiresAt,
            uniqueKey: uniqueKey, maxAttempts: maxAttempts)
    }
}
