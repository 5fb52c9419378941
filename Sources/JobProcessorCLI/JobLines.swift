import Foundation
import Queue

/// The jobs of an `enqueue --from-file` file: JSON Lines, one job per line, as the options of
/// `enqueue` give one:
///
/// ```
/// {"name": "demo.echo", "payload": {"to": "a@example.com"}}
/// {"name": "demo.sleep", "payload": {"ms": 5000}, "at": "2026-12-01T09:00:00Z"}
/// ```
///
/// `name` is required; `payload` (an object, Extended JSON accepted, or null) and `at` (an RFC
/// 3339 date-time, as `--at` takes) are optional. Lines holding only whitespace are skipped.
/// Parsing is strict, so that a typo stores nothing rather than something else: an unknown
/// field, a value of the wrong type, an unknown job name or an impossible date refuses the
/// whole file, naming the line and the reason.
struct JobLines {
    /// Each job of the file, with the number of its line (from 1).
    private(set) var jobs: [(line: Int, request: JobRequest)] = []

    /// The fields a line may hold.
    static let fields = ["name", "payload", "at"]

    /// Reads `text`, which came from `source` (the file name, as errors show it).
    /// - Parameter modes: the job names allowed, with the concurrency each is scheduled with.
    /// - Throws: ``CommandFailure`` `<source>: line <n>: <reason>` at the first bad line, or
    ///   when there are more than `maximum` jobs.
    init(_ text: String, source: String, modes: [String: ConcurrencyMode], maximum: Int) throws(CommandFailure) {
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            guard line.contains(where: { !$0.isWhitespace }) else { continue }
            guard jobs.count < maximum else {
                throw CommandFailure("\(source): line \(number): more than \(maximum) jobs; store them in several files")
            }
            do {
                jobs.append((number, try Self.request(String(line), modes: modes)))
            } catch {
                throw CommandFailure("\(source): line \(number): \(error.description)")
            }
        }
    }

    /// The job one line asks for.
    private static func request(_ line: String, modes: [String: ConcurrencyMode]) throws(CommandFailure) -> JobRequest {
        let document: BSONDocument
        do { document = try ExtendedJSON.parseDocument(line) } catch { throw CommandFailure("\(error)") }
        if let unknown = document.keys.first(where: { !fields.contains($0) }) {
            throw CommandFailure("unknown field \(UserText.quoted(unknown)) (a line holds \(fields.joined(separator: ", ")))")
        }
        guard case .string(let name)? = document["name"] else {
            throw CommandFailure(document["name"] == nil ? "no \"name\"" : "\"name\" is not a string")
        }
        try UserText.requireNoControls(name, "job name")
        guard let mode = modes[name] else {
            throw CommandFailure("no job named \(UserText.quoted(name)) (demo jobs: \(modes.keys.sorted().joined(separator: ", ")))")
        }
        let payload: BSONDocument?
        switch document["payload"] {
        case nil, .null?: payload = nil
        case .document(let object)?: payload = object
        default: throw CommandFailure("\"payload\" is not a JSON object")
        }
        var due: Date?
        switch document["at"] {
        case nil, .null?: due = nil
        case .string(let text)?:
            do { due = try RFC3339Parser.parse(text) } catch {
                throw CommandFailure("\"at\" \(UserText.quoted(text)): \(error)")
            }
        default: throw CommandFailure("\"at\" is not an RFC 3339 date-time string")
        }
        return JobRequest(name, payload: payload, at: due, concurrency: mode)
    }
}
