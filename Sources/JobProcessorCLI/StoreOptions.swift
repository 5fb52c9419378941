import ArgumentParser
import Foundation
import Logging
import Queue
import QueueMongo
import QueueSQLite

/// `--store`, `--database` and `--log-level`, shared by every command that touches a store.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "sqlite:PATH (the embedded store) or a mongodb:// connection string.")
    var store: String = "sqlite:./job-processor.sqlite"

    @Option(name: .long, help: "The MongoDB database (with a mongodb:// store).")
    var database: String = "job_processor"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "warning"

    /// The logger commands use, at `--log-level`. The first call also bootstraps swift-log at
    /// that level, so that the libraries' own loggers (libmongoc's among them) follow it:
    /// at the default level, `warning`, a failing command prints its one error line and nothing
    /// else.
    func logger(_ label: String) throws -> Logger {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw CommandFailure("--log-level \(UserText.escaped(logLevel)): expected trace, debug, info, notice, warning, error or critical")
        }
        CommandLogging.bootstrap(level: level)
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
        let uri = try connectionString()
        try checkDatabaseName()
        do {
            let database = try MongoDatabase.connect(uri, database: self.database)
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

    /// `--store` as a connection string libmongoc reads in full: a part it would ignore (an
    /// unknown or repeated option) is refused, since a typo there (`replSet=`) silently changes
    /// what the worker connects to.
    private func connectionString() throws(CommandFailure) -> MongoConnectionString {
        guard store.hasPrefix("mongodb://") || store.hasPrefix("mongodb+srv://") else {
            throw CommandFailure("--store \(UserText.escaped(MongoConnectionString.redacting(store))): expected sqlite:PATH or a mongodb:// connection string")
        }
        let uri: MongoConnectionString
        do {
            uri = try MongoConnectionString(store)
        } catch {
            throw CommandFailure("--store \(UserText.escaped(MongoConnectionString.redacting(store))): invalid connection string: \(error.message)")
        }
        guard uri.warnings.isEmpty else {
            throw CommandFailure("--store \(UserText.escaped(uri.redacted)): \(uri.warnings.joined(separator: "; ")) (refused rather than ignored)")
        }
        return uri
    }

    /// `--database` as MongoDB accepts a database name: 1 to 63 bytes, none of `/\. "$`, no
    /// control character. Checked here so that the mistake is named before any connection.
    private func checkDatabaseName() throws(CommandFailure) {
        try UserText.requireNoControls(database, "--database")
        let shown = UserText.quoted(database)
        guard !database.isEmpty else { throw CommandFailure("--database: the name is empty") }
        guard database.utf8.count < 64 else {
            throw CommandFailure("--database \(shown): \(database.utf8.count) bytes; MongoDB takes at most 63")
        }
        if let bad = database.first(where: { "/\\. \"$".contains($0) }) {
            throw CommandFailure("--database \(shown): MongoDB database names cannot hold \(UserText.quoted(String(bad)))")
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
