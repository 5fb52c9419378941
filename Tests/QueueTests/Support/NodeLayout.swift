import ChildProcesses
import Foundation
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// The Node version's database, built by `shared/node-compat/node_database.py` in a database of
/// the test server (`MONGODB_URI`), and its negative probes run after our processor used it.
enum NodeLayout {
    /// `shared/node-compat/`, beside the package's folder (CI copies `shared/` there too).
    static let folder = MongoTestServerProcess.packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/node-compat")

    /// The test server's Python (the virtualenv `scripts/mongo-test-server` prepares), which
    /// has pymongo.
    static let python = MongoTestServerProcess.packageRoot.appendingPathComponent(".venv-mongo/bin/python")

    /// What `node_database.py` did.
    struct Built {
        /// Its output.
        let output: String
        /// The Node version's indexes the server refused (`collection.name`).
        let refused: [String]
        /// The samples' ids by label (`simple_pending`, `worker_2`...).
        let ids: [String: ObjectId]

        func id(_ label: String) throws -> ObjectId {
            guard let id = ids[label] else { throw Failure("no sample labelled \(label) in:\n\(output)") }
            return id
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Lays out `database` as the Node version does (validator, indexes), with its documents
    /// when `withDocs`. The test server refuses some of the Node version's indexes (it keeps
    /// one per key pattern): those are listed in ``Built/refused``; any other failure throws.
    static func build(in database: String, withDocs: Bool) async throws -> Built {
        var arguments = [folder.appendingPathComponent("node_database.py").path, try TestMongo.uri().raw, database,
                         "--allow-refused-indexes"]
        if withDocs { arguments.append("--with-docs") }
        let (status, output) = try await run(arguments)
        var refused: [String] = []
        if let line = output.split(separator: "\n").first(where: { $0.hasPrefix("WARNING: server refused") }) {
            let list = line.drop { $0 != "[" }  // ['a', 'b']
            for (index, part) in list.split(separator: "'").enumerated() where index % 2 == 1 { refused.append(String(part)) }
        }
        if output.contains("ERROR") || (status != 0 && refused.isEmpty) {
            throw Failure("node_database.py failed (\(status)):\n\(output)")
        }
        var ids: [String: ObjectId] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("  ") {
            let parts = line.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, let id = ObjectId(parts[1]) { ids[parts[0]] = id }
        }
        return Built(output: output, refused: refused, ids: ids)
    }

    /// The Node version's negative probes (`run_checks`) on `database` as it is: the output,
    /// and whether every required probe passed.
    static func check(_ database: String) async throws -> (passed: Bool, output: String) {
        let script = MongoTestServerProcess.packageRoot.appendingPathComponent("scripts/node_compat_check.py").path
        let (status, output) = try await run([script, folder.path, try TestMongo.uri().raw, database])
        return (status == 0, output)
    }

    /// Runs `executable` (Python by default) to completion: its status and its output, standard
    /// error included.
    static func run(_ arguments: [String], executable: URL = python) async throws -> (Int32, String) {
        let ended = try await ChildProcess.run(executable.path, arguments, error: .standardOutput)
        return (ended.status, String(decoding: ended.output, as: UTF8.self))
    }
}
