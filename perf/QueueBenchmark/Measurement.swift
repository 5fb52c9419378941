import Foundation

/// Percentiles over a set of samples (nearest rank).
struct Samples {
    private(set) var values: [Double]

    init(_ values: [Double]) { self.values = values.sorted() }

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(values.count)).rounded(.up)) - 1
        return values[Swift.min(Swift.max(rank, 0), values.count - 1)]
    }

    var max: Double { values.last ?? .nan }

    /// Writes one value per line (what perf/run charts).
    func write(to path: String?, scale: Double = 1) throws {
        guard let path else { return }
        let text = values.map { String(format: "%.1f", $0 * scale) }.joined(separator: "\n") + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// The machine-readable result line perf/run collects.
func emit(_ fields: [String: any Sendable]) throws {
    let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print("RESULT " + String(decoding: data, as: UTF8.self))
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// CPU time used so far by every thread of this process, in seconds (`CLOCK_PROCESS_CPUTIME_ID`):
/// CPU per job is steadier than jobs/s on a shared machine, whose wall times vary by ±30%.
func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Seconds of CPU used by this process's child processes that have exited and been reaped.
func childrenCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    let seconds = { (time: timeval) in Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Waits for `condition` (polled every `step`), failing after `timeout` seconds.
func waitUntil(_ what: String, timeout: Double, step: Duration = .milliseconds(20), _ condition: () async throws -> Bool) async throws {
    let deadline = monotonicSeconds() + timeout
    while try await !condition() {
        guard monotonicSeconds() < deadline else { throw BenchmarkError("timed out after \(timeout) s waiting for \(what)") }
        try await Task.sleep(for: step)
    }
}

/// Reads values written by ``Samples/write(to:scale:)`` in microseconds, as seconds.
func readMicroseconds(_ path: String) throws -> [Double] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { Double($0) }.map { $0 / 1e6 }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
