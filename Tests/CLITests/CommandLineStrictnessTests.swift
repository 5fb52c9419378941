import Foundation
import Logging
import Queue
import Testing

/// The command line refuses what it cannot mean (names with control characters, unknown
/// options, malformed connection strings), each with exactly one line on standard error, a
/// non-zero status and nothing stored.
@Suite("job-processor refuses bad input in one line")
struct CommandLineStrictnessTests {
    /// Runs the tool on a fresh SQLite store that already exists, and expects a refusal: a
    /// non-zero status, one stderr line holding `expected`, no job in the store.
    static func expectRefusal(_ arguments: [String], naming expected: String, status: Int32? = nil) async throws {
        let store = TemporaryStore()
        defer { store.remove() }
        let reader = try SQLiteJobStore(path: store.path, logger: Logger(label: "test"))
        try await reader.prepare()
        let output = try await CommandLineTool.run(arguments + ["--store", store.option])
        #expect(output.status != 0)
        if let status { #expect(output.status == status) }
        #expect(output.stderr.contains(expected), "stderr: \(output.stderr)")
        #expect(output.stderr.hasSuffix("\n") && output.stderr.split(separator: "\n").count == 1,
                "one line: \(output.stderr.debugDescription)")
        #expect(try await reader.jobs(matching: JobQuery(limit: 10)).isEmpty, "nothing stored")
    }

    @Test(arguments: [
        (["enqueue", "demo\necho"], #"job name "demo\necho" holds a control character (U+000A)"#),
        (["enqueue", "demo.echo\u{1B}[2K"], #"job name "demo.echo\u{1B}[2K" holds a control character (U+001B)"#),
        (["enqueue", "demo.echo\u{2028}"], #"job name "demo.echo\u{2028}" holds a control character (U+2028)"#),
        (["enqueue", "demo.\u{202E}ohce"], #"no job named "demo.\u{202E}ohce""#),
        (["jobs", "--name", "demo\necho"], #"--name "demo\necho" holds a control character (U+000A)"#),
        (["jobs", "--status", "lost\nfound"], #"--status lost\nfound: expected one of"#),
        (["kill", "0123456789abcdef\n01234567"], #""0123456789abcdef\n01234567" is not a job id"#),
        (["jobs", "--log-level", "loud\nest"], #"--log-level loud\nest: expected trace"#),
        (["worker", "--tags", "eu,gpu\n"], #"--tags "eu,gpu\n" holds a control character (U+000A)"#),
    ])
    func namesWithControlCharactersAreRefusedAndShownEscapedOnOneLine(_ arguments: [String], _ expected: String) async throws {
        try await Self.expectRefusal(arguments, naming: expected)
    }

    /// ArgumentParser's own errors (unknown option, a value that is not a number, a missing
    /// argument) are one line too, pointing at the command's help, with its usage status 64.
    @Test(arguments: [
        (["jobs", "--count", "5"], "Unknown option '--count' (see job-processor jobs --help)"),
        (["enqueue", "demo.echo", "--count", "99999999999999999999"], "(see job-processor enqueue --help)"),
        (["enqueue", "demo.echo", "--count", "ten\nthousand"], "(see job-processor enqueue --help)"),
        (["enqueue"], "Missing expected argument '<name>' (see job-processor enqueue --help)"),
        (["jobs", "--limit", "-5"], "(see job-processor jobs --help)"),
    ])
    func usageErrorsAreOneLine(_ arguments: [String], _ expected: String) async throws {
        try await Self.expectRefusal(arguments, naming: expected, status: 64)
    }

    @Test(arguments: [
        (["cron", "next", "* * * * *", "--from", "2026-01-01\n"], #"--from 2026-01-01\n: not an RFC 3339 instant"#),
        (["cron", "next", "* * * * *", "--tz", "Europe/Paris\nx"], #"--tz "Europe/Paris\nx": not a known IANA time zone"#),
        (["cron", "next", "61 * *\n* *"], #"minute: 61 is outside 0-59 in "61 * *\n* *""#),
    ])
    func cronNextRefusesInOneLine(_ arguments: [String], _ expected: String) async throws {
        let output = try await CommandLineTool.run(arguments)
        #expect(output.status == 1)
        #expect(output.stdout.isEmpty)
        #expect(output.stderr.contains(expected), "stderr: \(output.stderr)")
        #expect(output.stderr.split(separator: "\n").count == 1, "one line: \(output.stderr.debugDescription)")
    }

    /// Malformed connection strings fail before any connection, with libmongoc's reason (and
    /// what it logged while parsing) in our one line, never in a log line of its own, and never
    /// with the password.
    @Test(arguments: [
        ("mongodb://a:s3cret@/x?foo=", "Empty hostname in URI"),
        ("mongodb://[::1", "Port could not be parsed"),
        ("mongodb://user:s3cret@db:99999", "Port could not be parsed"),
        ("mongodb://%zz@db", "Invalid % escape sequence"),
        ("mongodb://db,/", "Empty hostname in URI"),
        ("mongodb://user:s3cret/x@db", "Invalid host string in URI"),
        ("mongodb://db/?tls=maybe", #"Unsupported value for "tls": "maybe""#),
        ("mongodb+srv://db", "Invalid service name in URI"),
        ("mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300&foo=1", #"Unsupported URI option "foo" (refused rather than ignored)"#),
        ("mongodb://127.0.0.1:9/?w=1&w=2", "Overwriting previously provided value for 'w'"),
    ])
    func malformedConnectionStringsFailInOneLineWithLibmongocsReason(_ uri: String, _ expected: String) async throws {
        let output = try await CommandLineTool.run(["jobs", "--store", uri])
        #expect(output.status == 1)
        #expect(output.stderr.hasPrefix("error: --store "), "stderr: \(output.stderr)")
        #expect(output.stderr.contains(expected), "stderr: \(output.stderr)")
        #expect(output.stderr.split(separator: "\n").count == 1, "one line: \(output.stderr.debugDescription)")
        #expect(!output.stderr.contains("s3cret"))
    }

    @Test(arguments: [
        ("a.b", #"--database "a.b": MongoDB database names cannot hold ".""#),
        ("", "--database: the name is empty"),
        ("jobs\nx", #"--database "jobs\nx" holds a control character (U+000A)"#),
        (String(repeating: "d", count: 64), "64 bytes; MongoDB takes at most 63"),
    ])
    func badDatabaseNamesAreRefusedBeforeConnecting(_ name: String, _ expected: String) async throws {
        let output = try await CommandLineTool.run(["jobs", "--store", "mongodb://127.0.0.1:9/", "--database", name])
        #expect(output.status == 1)
        #expect(output.stderr.contains(expected), "stderr: \(output.stderr)")
        #expect(output.stderr.split(separator: "\n").count == 1, "one line: \(output.stderr.debugDescription)")
    }

    /// On a reachable MongoDB (the test server, `MONGODB_URI`), a command that succeeds prints
    /// nothing on standard error: libmongoc's log stays below the default level.
    @Test func mongoDBCommandsAreSilentOnStandardError() async throws {
        let uri = try #require(ProcessInfo.processInfo.environment["MONGODB_URI"], "run with scripts/test, which sets MONGODB_URI")
        let database = "cli_\(ObjectId())"
        let store = ["--store", uri, "--database", database]
        let enqueued = try await CommandLineTool.run(["enqueue", "demo.echo", "--at", "2026-03-01T00:00:00Z"] + store)
        #expect(enqueued.status == 0)
        #expect(enqueued.stderr.isEmpty, "stderr: \(enqueued.stderr)")
        let listed = try await CommandLineTool.run(["jobs", "--json"] + store)
        #expect(listed.status == 0)
        #expect(listed.stderr.isEmpty, "stderr: \(listed.stderr)")
        let lines = listed.stdout.split(separator: "\n")
        #expect(lines.count == 1, "\(listed.stdout)")
        #expect(lines.first?.contains("2026-03-01T00:00:00") == true, "\(listed.stdout)")
    }
}
