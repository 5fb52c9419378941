import Logging
import Synchronization

/// swift-log's bootstrap for the tool: one process, one command, one level.
enum CommandLogging {
    private static let bootstrapped = Mutex(false)

    /// Sends every logger's lines to standard error at `level`; later calls do nothing
    /// (swift-log allows one bootstrap per process).
    static func bootstrap(level: Logger.Level) {
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
