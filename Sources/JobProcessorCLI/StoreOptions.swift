import ArgumentParser
import Foundation
import Logging
import Queue

/// `--store` and `--database`, shared by every command that touches a store.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "sqlite:PATH (the embedded store) or a mongodb:// connection string.")
    var store: String = "sqlite:./job-processor.sqlite"

    @Option(name: .long, help: "The MongoDB database (with a mongodb:// store).")
    var database: String = "job_processor"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "warning"

    /// The logger commands use, at `--log-level`.
    func logger(_ label: String) throws -> Logger {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw CommandFailure("--log-level \(UserText.escaped(logLevel)): expected trace, debug, info, notice, warning, error or critical")
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    /// Opens the store, checking that it answers (an unreachable MongoDB fails here, before
    /// anything is written).
    func open(logger: Logger) async throws -> OpenedStore {
        if store.hasPrefix("sqlite:") {
            let path = String(store.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw CommandFailure("--store \(UserText.escaped(store)): the SQLite path is empty") }
            do {
                let sqlite = try SQLiteJobStore(path: path, logger: logger)
                try await sqlite.prepare()
                return OpenedStore(store: sqlite, describe: "SQLite file \(path)", close: {})
            } catch {
                throw CommandFailure("cannot open the SQLite store: \(error)")
            }
        }
        guard store.hasPrefix("mongodb://") || store.hasPrefix("mongodb+srv://") else {
            throw CommandFailure("--store \(UserText.escaped(MongoConnectionString.redacting(store))): expected sqlite:PATH or a mongodb:// connection string")
        }
        do {
            let database = try MongoDatabase.connect(MongoConnectionString(store), database: self.database)
            do {
                try await database.ping()
                let mongo = MongoJobStore(database: database, logger: logger)
                try await mongo.prepare()
                return OpenedStore(store: mongo, describe: "MongoDB \(database.redactedURI), database \(self.database)",
                                   close: { database.close() })
            } catch {
                database.close()
                throw error
            }
        } catch {
            throw CommandFailure("cannot reach the MongoDB store: \(error)")
        }
    }
}

/// An open store and how to close it.
struct OpenedStore: Sendable {
    let store: any JobStore
    /// For messages: which store, without secrets.
    let describe: String
    let close: @Sendable () -> Void
}
