import Foundation
import Logging
import Queue
import Testing

/// The command line refuses what it cannot mean (names with control characters, unknown
/// options), each with exactly one line on standard error, a non-zero status and nothing stored.
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
}
