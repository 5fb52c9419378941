import Foundation

/// A condition that did not hold within its timeout.
public struct TimedOut: Error, CustomStringConvertible {
    public let what: String
    public let timeout: Duration
    public var description: String { "timed out after \(timeout) waiting for \(what)" }
}

/// Checks `condition` every 10 ms until it returns a value, or throws ``TimedOut``.
/// This awaits a condition with a deadline; it is not a sleep that hopes things happened.
/// The default deadline is generous: in the parallel phase one MongoDB emulator serves every
/// test, 1,000-job batches included, and a claim may wait its turn for seconds. A condition
/// that holds costs no more for it; only a failure takes longer to report.
public func eventually<Value>(
    _ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Value?
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await condition() { return value }
        guard ContinuousClock.now < deadline else { throw TimedOut(what: what, timeout: timeout) }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// Checks `condition` every 10 ms until it holds, or throws ``TimedOut``: ``eventually(_:timeout:_:)``
/// for a condition that yields no value.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool
) async throws {
    _ = try await eventually(what, timeout: timeout) { try await condition() ? () : nil }
}
