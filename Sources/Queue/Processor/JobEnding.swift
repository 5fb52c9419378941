import Foundation
import BSON

/// How a handler's run ended, before it is recorded.
package enum HandlerOutcome: Sendable {
    /// The handler returned this result.
    case returned(BSON?)
    /// The handler threw; the message and cause chain, trimmed.
    case threw(String)
    /// The handler threw ``DoNotRetry``: an error, and no retry whatever attempts are left.
    case threwFinal(String)
    /// The handler ignored its signal past the grace period and was abandoned.
    case abandoned

    /// The outcome of a handler that threw `error`.
    package static func thrown(_ error: any Error) -> HandlerOutcome {
        if let final = error as? DoNotRetry { return .threwFinal(final.stored) }
        return .threw(JobEnding.describe(error))
    }
}

/// The status and output a run ends with (SPEC §4, "Ending", "Cancellation", "Resumable",
/// "Kill"). Pure: decides, does no I/O.
package struct JobEnding: Sendable, Equatable {
    package var status: JobStatus
    package var output: JobOutput

    /// Decides the ending of a run from what the handler did and why its signal fired, if it did.
    /// - A handler that returns has `finished`, unless its job was killed.
    /// - A handler that throws without a signal has `errored` with its message.
    /// - Otherwise the job was interrupted: killed → `killed`; shutdown or max runtime → `paused`
    ///   when resumable, else `errored` ("Interrupted" / "Max runtime exceeded").
    package static func decide(
        _ outcome: HandlerOutcome, signal: JobSignal.Reason?, resumable: Bool, duration: Duration
    ) -> JobEnding {
        let took = HumanDuration.format(duration)
        switch (outcome, signal) {
        case (.returned, .killed?), (.threw, .killed?), (.threwFinal, .killed?), (.abandoned, .killed?):
            return JobEnding(status: .killed, output: JobOutput(duration: took, error: "Killed"))
        case (.returned(let result), _):
            return JobEnding(status: .finished, output: JobOutput(duration: took, result: result ?? .null))
        case (.threw(let error), nil), (.threwFinal(let error), nil):
            return JobEnding(status: .errored, output: JobOutput(duration: took, error: error))
        case (.abandoned, nil):
            return JobEnding(status: .errored, output: JobOutput(duration: took, error: message(for: nil)))
        case (_, let reason?):
            if resumable { return JobEnding(status: .paused, output: JobOutput(duration: took)) }
            return JobEnding(status: .errored, output: JobOutput(duration: took, error: message(for: reason)))
        }
    }

    private static func message(for reason: JobSignal.Reason?) -> String {
        switch reason {
        case .maxRuntimeExceeded: "Max runtime exceeded"
        case .shutdown, nil: "Interrupted"
        case .killed: "Killed"
        }
    }

    /// An error's message followed by its causes (`underlyingError`s of NSErrors, or
    /// ``JobErrorCause`` conformers), at most 4,000 characters.
    package static func describe(_ error: any Error) -> String {
        var parts: [String] = []
        var current: (any Error)? = error
        while let error = current, parts.count < 8 {
            parts.append(String(describing: error))
            current = (error as? any JobErrorCause)?.cause ?? ((error as NSError).userInfo[NSUnderlyingErrorKey] as? any Error)
        }
        let text = parts.joined(separator: "\ncaused by: ")
        return text.count > 4_000 ? String(text.prefix(4_000)) + "…" : text
    }
}

/// An error that carries the error that caused it, so that a job's stored error shows the chain.
public protocol JobErrorCause: Error {
    /// The underlying error, if any.
    var cause: (any Error)? { get }
}

/// Durations as people read them: `850ms`, `1.25s`, `2m 5s`, `1h 2m 3s`.
enum HumanDuration {
    static func format(_ duration: Duration) -> String {
        // Through `components` (one division): `Double(duration.attoseconds)` is a generic,
        // unspecialized conversion from Int128, many times slower.
        let seconds = duration.timeInterval
        switch seconds {
        case ..<1: return milliseconds(Int((seconds * 1000).rounded()))
        case ..<60: return String(format: "%.2fs", seconds)
        case ..<3600: return "\(Int(seconds) / 60)m \(Int(seconds) % 60)s"
        default: return "\(Int(seconds) / 3600)h \(Int(seconds) % 3600 / 60)m \(Int(seconds) % 60)s"
        }
    }

    /// `"<value>ms"`, its digits written directly (every job's ending formats one, mostly this
    /// case): no interpolation, no generic integer-to-text conversion, no allocation.
    private static func milliseconds(_ value: Int) -> String {
        guard (0...99_999).contains(value) else { return String(value) + "ms" }
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return String(unsafeUninitializedCapacity: digits + 2) { buffer in
            var remaining = value
            for index in stride(from: digits - 1, through: 0, by: -1) {
                buffer[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            }
            buffer[digits] = UInt8(ascii: "m")
            buffer[digits + 1] = UInt8(ascii: "s")
            return digits + 2
        }
    }
}
