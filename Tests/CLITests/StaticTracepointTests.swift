import ChildProcesses
import Foundation
import QueueTestSupport
import Testing

/// The built `job-processor` carries the worker's USDT probes (Sources/CProbes), so that
/// `perf probe`/`perf record -e sdt_job_processor:*` and bpftrace can trace a running worker
/// without a rebuild: each probe is an `stapsdt` ELF note that `readelf -n` lists, with the
/// address of its semaphore (the tracer's switch that makes an untraced probe cost nothing).
@Suite("job-processor carries its static tracepoints")
struct StaticTracepointTests {
    static let probes = ["job_claim", "handler_start", "handler_end", "store_round_trip"]

    /// `readelf -n` on the built tool: its notes, one block per note.
    static func notes() async throws -> String {
        let ended = try await ChildProcess.run("/usr/bin/env", ["readelf", "-n", CommandLineTool.executable.path], error: .null)
        #expect(ended.status == 0, "readelf -n \(CommandLineTool.executable.path)")
        return String(decoding: ended.output, as: UTF8.self)
    }

    @Test("the binary has a stapsdt note with a semaphore for each probe", arguments: probes)
    func binaryHasStapsdtNoteWithSemaphore(probe: String) async throws {
        let notes = try await Self.notes()
        // readelf prints each note as "stapsdt ... NT_STAPSDT" then "Provider:", "Name:",
        // "Location:, Base:, Semaphore:" and "Arguments:" lines.
        let blocks = notes.components(separatedBy: "NT_STAPSDT").dropFirst()
        let block = blocks.first { $0.contains("Provider: job_processor") && $0.contains("Name: \(probe)\n") }
        #expect(block != nil, "no stapsdt note for job_processor:\(probe)")
        let semaphore = block?.split(separator: "\n").first { $0.contains("Semaphore:") }
            .flatMap { $0.components(separatedBy: "Semaphore:").last?.trimmingCharacters(in: .whitespaces) }
        #expect(semaphore.map { !$0.isEmpty && $0.trimmingCharacters(in: CharacterSet(charactersIn: "0x")) != "" } == true,
                "job_processor:\(probe) has no semaphore: \(semaphore ?? "none")")
    }
}
