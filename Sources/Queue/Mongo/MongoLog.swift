import CMongoC
import Logging

/// Routes libmongoc's own log lines into swift-log (label `job-processor.mongoc`) instead of
/// stderr: warnings and errors at their level, libmongoc's chatty debug and trace output only
/// at `.trace`. Installed once per process with ``MongoClientPool``'s initialisation.
enum MongoLog {
    /// The logger libmongoc's messages go to. Bootstrapping swift-log is the application's job.
    static let logger = Logger(label: "job-processor.mongoc")

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
            MongoLog.logger.log(level: swiftLevel, "\(text)", metadata: ["domain": "\(source)"])
        }, nil)
    }
}
