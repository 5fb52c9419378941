import Foundation
import Logging
import Queue
import QueueSQLite
import QueueTestSupport
import Testing

/// `job-processor enqueue --from-file`: a JSON Lines file of jobs stored in one batch, or none
/// of it when a line is bad.
@Suite("job-processor enqueue --from-file")
struct EnqueueFromFileTests {
    /// A temporary file holding `lines`, one per line.
    struct JobsFile {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("jobs-\(UUID()).jsonl").path

        init(_ lines: [String]) throws {
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        }

        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    @Test func everyLineIsStoredWithItsNamePayloadAndDueTimeAndTheIdsArePrintedInOrder() async throws {
        let store = TemporaryStore()
        defer { store.remove() }
        let file = try JobsFile([
            #"{"name": "demo.echo", "payload": {"to": "a@example.com", "when": {"$date": "2026-01-02T03:04:05.678Z"}}}"#,
            "",
            #"{"name": "demo.sleep", "payload": {"ms": 5000}, "at": "2026-12-01T09:00:00+01:00"}"#,
            #"  {"at": null, "name": "demo.fail", "payload": null}  "#,
        ])
        defer { file.remove() }
        let output = try await CommandLineTool.run(["enqueue", "--from-file", file.path, "--store", store.option])
        #expect(output.status == 0, "stderr: \(output.stderr)")
        #expect(output.stderr.isEmpty)
        let ids = output.stdout.split(separator: "\n").compactMap { ObjectId(String($0)) }
        try #require(ids.count == 3, "one id per job: \(output.stdout)")
        let reader = try SQLiteJobStore(path: store.path, logger: Logger(label: "test"))
        var jobs: [Job] = []
        for id in ids { jobs.append(try #require(try await reader.job(id: id))) }
        #expect(jobs.map(\.name) == ["demo.echo", "demo.sleep", "demo.fail"])
        #expect(jobs.allSatisfy { $0.status == .pending })
        #expect(jobs[0].payload == ["to": "a@example.com", "when": .date(Date(timeIntervalSince1970: 1_767_323_045.678))])
        #expect(jobs[1].payload == ["ms": 5000])
        #expect(jobs[1].scheduledFor == Date(timeIntervalSince1970: 1_796_112_000))
        #expect(jobs[2].payload == nil)
        #expect(abs(jobs[2].scheduledFor.timeIntervalSinceNow) < 60, "no `at`: due now")
    }

    @Test func standardInputIsReadForADash() async throws {
        let store = TemporaryStore()
        defer { store.remove() }
        let lines = (0..<200).map { #"{"name": "demo.echo", "payload": {"n": \#($0)}}"# }.joined(separator: "\n")
        let output = try await CommandLineTool.run(["enqueue", "--from-file", "-", "--store", store.option], input: Data(lines.utf8))
        #expect(output.status == 0, "stderr: \(output.stderr)")
        let ids = output.stdout.split(separator: "\n").compactMap { ObjectId(String($0)) }
        #expect(ids.count == 200)
        let reader = try SQLiteJobStore(path: store.path, logger: Logger(label: "test"))
        #expect(try await reader.job(id: ids[199])?.payload == ["n": 199], "the ids in line order")
    }

    @Test(arguments: [
        ([#"{"name": "demo.echo"}"#, #"{"name": "demo.nope"}"#], #"line 2: no job named "demo.nope""#),
        ([#"{"name": "demo.echo", "count": 3}"#], #"line 1: unknown field "count" (a line holds name, payload, at)"#),
        ([#"{"name": "demo.echo"}"#, "", #"{"name": "demo.echo""#], "line 3: "),
        ([#"["demo.echo"]"#], "line 1: BSON invalid JSON: expected a JSON object"),
        ([#"{"payload": {}}"#], #"line 1: no "name""#),
        ([#"{"name": 7}"#], #"line 1: "name" is not a string"#),
        ([#"{"name": "demo\necho"}"#], #"line 1: job name "demo\necho" holds a control character (U+000A)"#),
        ([#"{"name": "demo.echo", "payload": [1]}"#], #"line 1: "payload" is not a JSON object"#),
        ([#"{"name": "demo.echo", "at": "2026-02-30T00:00:00Z"}"#],
         #"line 1: "at" "2026-02-30T00:00:00Z": February 2026 has 28 days"#),
        ([#"{"name": "demo.echo", "at": 1767225600}"#], #"line 1: "at" is not an RFC 3339 date-time string"#),
    ])
    func aBadLineStoresNothingOfTheFileAndIsNamedWithItsReason(_ lines: [String], _ expected: String) async throws {
        let file = try JobsFile([#"{"name": "demo.echo"}"#] + lines)
        defer { file.remove() }
        // The good first line moves every line number by one.
        let shifted = expected.replacing(/line (\d+)/) { match in "line \(Int(match.1)! + 1)" }
        try await CommandLineStrictnessTests.expectRefusal(
            ["enqueue", "--from-file", file.path], naming: "--from-file \(file.path): " + shifted)
    }

    @Test func anEmptyFileIsRefused() async throws {
        let file = try JobsFile([])
        defer { file.remove() }
        try await CommandLineStrictnessTests.expectRefusal(
            ["enqueue", "--from-file", file.path], naming: "--from-file \(file.path): no job in the file")
    }

    @Test func anUnreadableFileIsRefused() async throws {
        try await CommandLineStrictnessTests.expectRefusal(
            ["enqueue", "--from-file", "/nonexistent/jobs.jsonl"], naming: "--from-file /nonexistent/jobs.jsonl: cannot be read")
    }

    @Test(arguments: [
        (["enqueue", "demo.echo", "--from-file", "jobs.jsonl"], "--from-file jobs.jsonl takes its jobs from the file, not a job name"),
        (["enqueue", "--from-file", "jobs.jsonl", "--count", "3"], "--from-file jobs.jsonl takes its jobs from the file, not --count"),
        (["enqueue", "--from-file", "jobs.jsonl", "--payload", "{}"], "not --payload"),
    ])
    func theJobOptionsAndAFileAreNotTakenTogether(_ arguments: [String], _ expected: String) async throws {
        try await CommandLineStrictnessTests.expectRefusal(arguments, naming: expected, status: 64)
    }
}
