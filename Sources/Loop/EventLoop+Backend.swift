import Glibc

extension EventLoop {
    /// Which kernel interface a loop sleeps in: chosen at ``EventLoop/init(clock:backend:)``,
    /// read back from ``EventLoop/backend``. Both run the same loop with the same guarantees;
    /// they differ only in system calls.
    ///
    /// - ``epoll``: `epoll_wait` on the wake-up eventfd, a timerfd and the signalfd.
    /// - ``ioUring``: io_uring (liburing) multishot polls of the same descriptors, and an
    ///   absolute timeout request for the earliest deadline; one `io_uring_enter` per sleep.
    /// - ``automatic``: the environment variable `JOB_PROCESSOR_LOOP` (`epoll`, `io_uring` or
    ///   `automatic`) when it is set and not empty, so that an operator can force either
    ///   backend under a program that does not choose; otherwise epoll. See ``automatic``.
    ///
    /// A struct with static members rather than an enum, so that backends can be added without
    /// breaking switches.
    public struct Backend: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case epoll, ioUring, automatic
        }

        private let kind: Kind

        private init(_ kind: Kind) {
            self.kind = kind
        }

        /// epoll(7), with a timerfd for the earliest deadline.
        public static let epoll = Backend(.epoll)

        /// io_uring through liburing. Creating a loop with it throws where io_uring is
        /// unavailable (`ENOSYS`: no io_uring in the kernel; `EPERM`:
        /// `kernel.io_uring_disabled` or a seccomp profile; ``LoopError/Code/unsupported``:
        /// a kernel older than 5.17).
        public static let ioUring = Backend(.ioUring)

        /// The default: the backend `JOB_PROCESSOR_LOOP` names when it is set (exactly as if
        /// it had been passed: a forced io_uring does not fall back); otherwise epoll.
        ///
        /// Why epoll: on the machine kind this runs on, io_uring's fewer system calls bought
        /// neither CPU time nor latency in LoopBenchmark (its loop thread spent as much per
        /// wake-up and more per timer) and no consistent gain in the queue benchmark
        /// (perf/README.md, "epoll or io_uring", has the figures); and epoll also works where
        /// io_uring is refused. Should a later measure favour io_uring, `preferred` flips, and
        /// a refused setup then falls back to epoll with the reason in
        /// ``EventLoop/backendFallback``.
        public static let automatic = Backend(.automatic)

        /// What ``automatic`` picks when the environment does not decide (see ``automatic``).
        static let preferred = Backend.epoll

        /// The environment variable ``automatic`` reads.
        static let environmentVariable = "JOB_PROCESSOR_LOOP"

        /// The backend named `name` as in the environment variable: `epoll`, `io_uring`,
        /// `automatic`; `nil` for any other.
        init?(name: String) {
            switch name {
            case "epoll": self = .epoll
            case "io_uring": self = .ioUring
            case "automatic": self = .automatic
            default: return nil
            }
        }

        /// `epoll`, `io_uring` or `automatic`, as the environment variable spells them.
        public var description: String {
            switch kind {
            case .epoll: "epoll"
            case .ioUring: "io_uring"
            case .automatic: "automatic"
            }
        }
    }

    /// The value of `JOB_PROCESSOR_LOOP` in this process's environment, if set.
    static func backendFromEnvironment() -> String? {
        getenv(Backend.environmentVariable).map { String(cString: $0) }
    }

    /// Creates the backend for `requested`, with `environment` standing for the value of
    /// `JOB_PROCESSOR_LOOP` and `openRing` for io_uring's setup (tests inject a refusal).
    /// Returns the backend and, when ``Backend/automatic`` wanted io_uring but had to fall
    /// back to epoll, the error io_uring's setup failed with.
    ///
    /// - Throws: ``LoopError/Code/invalidArgument`` for an environment value that names no
    ///   backend; io_uring's error when ``Backend/ioUring`` was asked for explicitly; any
    ///   error creating epoll's descriptors.
    static func makeBackend(
        _ requested: Backend,
        environment: String?,
        preferred: Backend = .preferred,
        wakeUp: Int32,
        signal: Int32,
        openRing: () throws(LoopError) -> IOUringRing
    ) throws(LoopError) -> (backend: any LoopBackend, fallback: LoopError?) {
        var choice = requested
        if choice == .automatic, let environment, !environment.isEmpty {
            guard let named = Backend(name: environment) else {
                throw LoopError(
                    code: .invalidArgument,
                    operation: "\(Backend.environmentVariable)=\(environment) (expected epoll, io_uring or automatic)")
            }
            choice = named
        }
        let automatic = choice == .automatic
        if automatic {
            choice = preferred
        }
        guard choice == .ioUring else {
            return (try EpollBackend(wakeUp: wakeUp, signal: signal), nil)
        }
        do {
            return (try IOUringBackend(ring: try openRing(), wakeUp: wakeUp, signal: signal), nil)
        } catch where automatic {
            return (try EpollBackend(wakeUp: wakeUp, signal: signal), error)
        }
    }
}
