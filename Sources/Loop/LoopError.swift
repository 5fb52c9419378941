import Glibc

/// An error from the event loop: which operation failed, why (``Code``), and the `errno` the
/// kernel reported when the failure came from a system call.
///
/// A struct wrapping an extensible code rather than an enum, so new failure kinds can be added
/// without breaking callers that switch over codes. The description names the operation and the
/// errno text only; it never contains user data (closures, payloads).
public struct LoopError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Compare against the static members; new codes may appear.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case syscallFailed
            case loopStopped
            case unsupported
            case invalidArgument
        }

        private let kind: Kind

        private init(_ kind: Kind) {
            self.kind = kind
        }

        /// A system call failed; ``LoopError/errno`` holds the reason and
        /// ``LoopError/operation`` the call's name.
        public static let syscallFailed = Code(.syscallFailed)

        /// The loop has been stopped (``EventLoop/stop()``) and accepts no more work.
        public static let loopStopped = Code(.loopStopped)

        /// The kernel lacks something the loop needs (e.g. an io_uring feature);
        /// ``LoopError/operation`` names it.
        public static let unsupported = Code(.unsupported)

        /// A setting given to the loop is not one it knows (e.g. the backend named by the
        /// environment); ``LoopError/operation`` names the setting and its value.
        public static let invalidArgument = Code(.invalidArgument)

        /// A short name for the code, for logs.
        public var description: String {
            switch kind {
            case .syscallFailed: "syscall failed"
            case .loopStopped: "loop stopped"
            case .unsupported: "not supported by this kernel"
            case .invalidArgument: "invalid argument"
            }
        }
    }

    /// What kind of failure this is.
    public let code: Code

    /// The operation that failed: a system call's name (`epoll_wait`, `timerfd_settime`) or a
    /// loop method (`execute`).
    public let operation: String

    /// The `errno` value reported by the kernel, or `nil` when the failure is not a system call's.
    public let errno: Int32?

    /// Makes an error; the loop's own code builds these, tests may too.
    public init(code: Code, operation: String, errno: Int32? = nil) {
        self.code = code
        self.operation = operation
        self.errno = errno
    }

    /// The failure of system call `operation` with `errno`.
    static func syscall(_ operation: String, errno: Int32) -> LoopError {
        LoopError(code: .syscallFailed, operation: operation, errno: errno)
    }

    /// The refusal of `operation` because the loop has stopped.
    static func stopped(_ operation: String) -> LoopError {
        LoopError(code: .loopStopped, operation: operation)
    }

    /// `"<operation>: <code>"`, followed by the errno text and number for system calls.
    public var description: String {
        guard let errno else { return "\(operation): \(code)" }
        return "\(operation): \(code): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
