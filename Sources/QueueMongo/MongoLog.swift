import CMongoC
import Glibc
import Logging
import Synchronization
import BSON
import Queue

/// Routes libmongoc's own log lines into swift-log (label `job-processor.mongoc`) instead of
/// stderr: warnings and errors at their level, libmongoc's chatty debug and trace output only
/// at `.trace`. Installed before `mongoc_init` (see ``MongoLibrary``), so that no line of
/// libmongoc's reaches stderr on its own.
///
/// libmongoc also logs what it finds wrong while parsing a connection string ("Port could not
/// be parsed", "Unsupported URI option"). Those belong to the caller's error or warnings, not to
/// the log: ``collecting(_:)`` gathers them instead of logging them.
enum MongoLog {
    /// The logger libmongoc's messages go to. Bootstrapping swift-log is the application's job.
    static let logger = Logger(label: "job-processor.mongoc")

    /// One line libmongoc logged.
    struct Message: Sendable, Equatable {
        var level: Logger.Level
        var text: String
    }

    /// Messages gathered by ``collecting(_:)``, by the thread that logged them: libmongoc logs
    /// on the thread that calls it, and parsing is synchronous.
    private static let collections = Mutex<[pthread_t: [Message]]>([:])

    static func install() {
        mongoc_log_set_handler({ level, domain, message, _ in
            let text = message.map { String(cString: $0) } ?? ""
            let source = domain.map { String(cString: $0) } ?? "mongoc"
            let swiftLevel: Logger.Level = switch level {
            case MONGOC_LOG_LEVEL_ERROR, MONGOC_LOG_LEVEL_CRITICAL: .error
            case MONGOC_LOG_LEVEL_WARNING: .warning
            case MONGOC_LOG_LEVEL_MESSAGE, MONGOC_LOG_LEVEL_INFO: .info
            default: .trace
            }
            let collected = MongoLog.collections.withLock { collections in
                guard collections[pthread_self()] != nil else { return false }
                collections[pthread_self()]?.append(Message(level: swiftLevel, text: text))
                return true
            }
            // A gathered message reaches the log only at debug: its caller reports it.
            MongoLog.logger.log(level: collected ? .debug : swiftLevel, "\(text)", metadata: ["domain": "\(source)"])
        }, nil)
    }

    /// Runs `body` and returns, with its result, the messages libmongoc logged on this thread
    /// meanwhile (at `.trace` and `.debug` too), which the log then shows only at `.debug`.
    /// Not reentrant: `body` must not call `collecting` itself. O(1) besides `body`.
    static func collecting<Result>(_ body: () -> Result) -> (result: Result, messages: [Message]) {
        let thread = pthread_self()
        collections.withLock { $0[thread] = [] }
        let result = body()
        let messages = collections.withLock { $0.removeValue(forKey: thread) } ?? []
        return (result, messages)
    }
}
