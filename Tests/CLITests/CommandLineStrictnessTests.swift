import Foundation
import Logging
import Queue
import QueueMongo
import QueueSQLite
import QueueTestSupport
import Testing

/// The command line refuses what it cannot mean (impossible dates, offsets past ±14:00, counts
/// past their documented maximum, names with control characters, unknown options, malformed
/// connection strings), each with exactly one line on standard error, a non-zero status and
/// nothing stored.
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
        ("2026-02-30T00:00:00Z", "--at 2026-02-30T00:00:00Z: February 2026 has 28 days"),
        ("2026-01-01T00:00:00+99:00", "--at 2026-01-01T00:00:00+99:00: offset +99:00 is beyond ±14:00"),
        ("2026-01-01T00:00:00Z\nx", "--at 2026-01-01T00:00:00Z\\nx: unexpected \"\\nx\" after the time zone offset"),
        ("2026-06-30T23:59:60Z", "second 60 (a leap second) is not accepted"),
    ])
    func enqueueAtAnImpossibleInstantIsRefused(_ at: String, _ expected: String) async throws {
        try await Self.expectRefusal(["enqueue", "demo.echo", "--at", at], naming: expected)
    }

    /// Years 1 to 9999 are accepted, as MongoDB accepts them, and stored as the instant named.
    @Test(arguments: [
        ("0001-01-01T00:00:00Z", -62_135_596_800.0),
        ("9999-12-31T23:59:59Z", 253_402_300_799.0),
        ("2024-02-29t12:00:00.25+14:00", 1_709_157_600.25),
    ])
    func enqueueAtStoresTheInstantNamed(_ at: String, _ seconds: Double) async throws {
        let store = TemporaryStore()
        defer { store.remove() }
        let output = try await CommandLineTool.run(["enqueue", "demo.echo", "--at", at, "--store", store.option])
        #expect(output.status == 0, "stderr: \(output.stderr)")
        let id = try #require(ObjectId(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let reader = try SQLiteJobStore(path: store.path, logger: Logger(label: "test"))
        let job = try #require(try await reader.job(id: id))
        #expect(job.scheduledFor.timeIntervalSince1970 == seconds)
    }

    @Test(arguments: [
        (#"{"a":1}{"b":2}"#, "unexpected data after the JSON object"),
        (#"{"a":1} x"#, "unexpected data after the JSON object"),
        (String(repeating: #"{"a":"#, count: 101) + "1" + String(repeating: "}", count: 101), "--payload"),
    ])
    func enqueuePayloadThatIsNotExactlyOneJSONObjectIsRefused(_ payload: String, _ expected: String) async throws {
        try await Self.expectRefusal(["enqueue", "demo.echo", "--payload", payload], naming: expected)
    }

    @Test(arguments: ["100001", "1000000000000", "0", "-1"])
    func enqueueCountBeyondTheDocumentedMaximumIsRefused(_ count: String) async throws {
        try await Self.expectRefusal(["enqueue", "demo.echo", "--count=\(count)"], naming: "--count \(count): expected 1 to 100000")
    }

    @Test func enqueueExpiryThatIsNotAValidDateIsRefusedNamingTheOption() async throws {
        try await Self.expectRefusal(
            ["enqueue", "demo.echo", "--expires-at", "2026-02-30T00:00:00Z"], naming: "--expires-at 2026-02-30T00:00:00Z: February 2026 has 28 days")
    }

    @Test func enqueueUniqueKeyHoldingAControlCharacterIsRefused() async throws {
        try await Self.expectRefusal(
            ["enqueue", "demo.echo", "--unique-key", "a\nb"], naming: #"--unique-key "a\nb" holds a control character (U+000A)"#)
    }

    @Test(arguments: ["-1", "1000001"])
    func enqueuePriorityOutsideItsRangeIsRefused(_ priority: String) async throws {
        try await Self.expectRefusal(
            ["enqueue", "demo.echo", "--priority=\(priority)"], naming: "--priority \(priority): expected 0 to 1000000")
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

    @Test(arguments: [
        (["jobs", "--limit", "10001"], "--limit 10001: expected 1 to 10000"),
        (["jobs", "--limit", "10000000000"], "--limit 10000000000: expected 1 to 10000"),
        (["jobs", "--limit=-5"], "--limit -5: expected 1 to 10000"),
        (["jobs", "--limit", "0"], "--limit 0: expected 1 to 10000"),
        (["demo", "--duration", "9223372036854775807"], "--duration 9223372036854775807: expected 1 to 86400 seconds"),
        (["demo", "--concurrency", "0"], "--concurrency 0: expected at least 1"),
    ])
    func numbersOutsideTheirDocumentedRangeAreRefused(_ arguments: [String], _ expected: String) async throws {
        try await Self.expectRefusal(arguments, naming: expected)
    }

    /// ArgumentParser's own errors (unknown option, a value that is not a number, a missing
    /// argument) are one line too, pointing at the command's help, with its usage status 64.
    @Test(arguments: [
        (["jobs", "--count", "5"], "Unknown option '--count' (see job-processor jobs --help)"),
        (["enqueue", "demo.echo", "--count", "99999999999999999999"], "(see job-processor enqueue --help)"),
        (["enqueue", "demo.echo", "--count", "ten\nthousand"], "(see job-processor enqueue --help)"),
        (["enqueue"], "Missing expected argument '<name>' (or --from-file) (see job-processor enqueue --help)"),
        (["jobs", "--limit", "-5"], "(see job-processor jobs --help)"),
    ])
    func usageErrorsAreOneLine(_ arguments: [String], _ expected: String) async throws {
        try await Self.expectRefusal(arguments, naming: expected, status: 64)
    }

    @Test(arguments: [
        (["cron", "next", "* * * * *", "--count", "10001"], "--count 10001: expected 1 to 10000"),
        (["cron", "next", "* * * * *", "--count", "1000000000000"], "--count 1000000000000: expected 1 to 10000"),
        (["cron", "next", "* * * * *", "--from", "2026-02-30T00:00:00Z"], "--from 2026-02-30T00:00:00Z: February 2026 has 28 days"),
        (["cron", "next", "* * * * *", "--from", "2026-01-01T00:00:00Z\n"], #"--from 2026-01-01T00:00:00Z\n: unexpected "\n" after"#),
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

    @Test func cronNextPrintsUpToItsDocumentedMaximum() async throws {
        let output = try await CommandLineTool.run(["cron", "next", "* * * * *", "--from", "2026-01-01T00:00:00Z", "--count", "10000"])
        #expect(output.status == 0, "stderr: \(output.stderr)")
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.count == 10_000)
        #expect(lines.last == "2026-01-07T22:40:00+00:00")
    }

    @Test(arguments: [
        (["enqueue", "--help"], "1 to 100,000"),
        (["jobs", "--help"], "1 to 10,000"),
        (["cron", "next", "--help"], "1 to 10,000"),
        (["demo", "--help"], "1 to 86,400"),
    ])
    func helpStatesTheMaximum(_ arguments: [String], _ expected: String) async throws {
        let output = try await CommandLineTool.run(arguments)
        #expect(output.status == 0)
        #expect(output.stdout.contains(expected), "\(output.stdout)")
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
    /// nothing on standard error: libmongoc's log stays below the default level; and a bad
    /// `--at` stores nothing there either.
    @Test func mongoDBCommandsAreSilentOnStandardErrorAndBadInputStoresNothing() async throws {
        let uri = try #require(ProcessInfo.processInfo.environment["MONGODB_URI"], "run with scripts/test, which sets MONGODB_URI")
        let database = "cli_\(ObjectId())"
        let store = ["--store", uri, "--database", database]
        let refused = try await CommandLineTool.run(["enqueue", "demo.echo", "--at", "2026-02-30T00:00:00Z"] + store)
        #expect(refused.status == 1)
        #expect(refused.stderr == "error: --at 2026-02-30T00:00:00Z: February 2026 has 28 days\n")
        let enqueued = try await CommandLineTool.run(["enqueue", "demo.echo", "--at", "2026-03-01T00:00:00Z"] + store)
        #expect(enqueued.status == 0)
        #expect(enqueued.stderr.isEmpty, "stderr: \(enqueued.stderr)")
        let listed = try await CommandLineTool.run(["jobs", "--json"] + store)
        #expect(listed.status == 0)
        #expect(listed.stderr.isEmpty, "stderr: \(listed.stderr)")
        let lines = listed.stdout.split(separator: "\n")
        #expect(lines.count == 1, "only the good job: \(listed.stdout)")
        #expect(lines.first?.contains("2026-03-01T00:00:00") == true, "\(listed.stdout)")
    }
}
