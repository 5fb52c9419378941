import Foundation
import BSON
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// A `URLSession` for a monitor and its copies, with a hard deadline per request; invalidated
/// when the last copy goes away, so that a discarded monitor does not keep its resources.
///
/// Why not rely on `URLRequest.timeoutInterval`: on Linux (swift-corelibs-foundation) it is
/// truncated to whole seconds, so 0.5 s means "time out at once", and it measures inactivity,
/// not the whole exchange. ``send(_:timeout:)`` races the request against its own deadline and
/// cancels the loser; the session's timeout stays as a backstop a second beyond it.
///
/// Sendable: both properties are immutable and `URLSession` is thread-safe.
final class HTTPSession: Sendable {
    private let session: URLSession
    /// The session's own (whole-second) timeout, beyond ours.
    private let backstop: TimeInterval

    init(timeout: Duration) {
        backstop = (SentryCheckInRequest.seconds(timeout) + 1).rounded(.up)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = backstop
        configuration.timeoutIntervalForResource = backstop
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
    }

    deinit { session.finishTasksAndInvalidate() }

    /// Sends `request` and returns the response, or throws `URLError(.timedOut)` once
    /// `timeout` has passed, a `URLError` for a failed exchange, or `CancellationError` when
    /// the calling task is cancelled. The request's own timeout is replaced by the backstop.
    func send(_ request: URLRequest, timeout: Duration) async throws -> (Data, URLResponse) {
        var request = request
        request.timeoutInterval = backstop
        let exchange = Exchange()
        let session = session
        return try await withThrowingTaskGroup(of: (Data, URLResponse)?.self) { group in
            group.addTask { [request] in try await exchange.run(request, on: session) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else { throw URLError(.timedOut) }
            return response
        }
    }
}

/// One data task bridged to async: resumed exactly once, by whichever comes first of the
/// task's completion and the caller's cancellation (which also cancels the data task).
///
/// Sendable: all state is behind `state`'s lock.
private final class Exchange: Sendable {
    private struct State {
        var continuation: CheckedContinuation<(Data, URLResponse), any Error>?
        var task: URLSessionDataTask?
        /// The outcome, once known; kept if it arrives before the continuation.
        var outcome: Result<(Data, URLResponse), any Error>?
    }

    private let state = Mutex(State())

    func run(_ request: URLRequest, on session: URLSession) async throws -> (Data, URLResponse) {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let task = session.dataTask(with: request) { [self] data, response, error in
                    if error == nil, let response {
                        finish(.success((data ?? Data(), response)))
                    } else {
                        finish(.failure(error ?? URLError(.badServerResponse)))
                    }
                }
                let outcome = state.withLock { state in
                    if state.outcome == nil {
                        state.continuation = continuation
                        state.task = task
                    }
                    return state.outcome
                }
                if let outcome { continuation.resume(with: outcome) } else { task.resume() }
            }
        } onCancel: {
            finish(.failure(CancellationError()))
        }
    }

    /// Records `outcome` if none was yet, resumes the waiting caller, cancels the data task
    /// (a no-op once it completed).
    private func finish(_ outcome: Result<(Data, URLResponse), any Error>) {
        let (continuation, task) = state.withLock { state -> (CheckedContinuation<(Data, URLResponse), any Error>?, URLSessionDataTask?) in
            guard state.outcome == nil else { return (nil, nil) }
            state.outcome = outcome
            defer { state.continuation = nil; state.task = nil }
            return (state.continuation, state.task)
        }
        task?.cancel()
        continuation?.resume(with: outcome)
    }
}
