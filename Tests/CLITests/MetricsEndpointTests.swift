import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import QueueTestSupport
import Testing

/// `job-processor worker --metrics-port`: a real worker process, scraped over HTTP.
@Suite("worker metrics endpoint")
struct MetricsEndpointTests {
    @Test func scrapedMetricsShowTheJobCountersMovingAsJobsRun() async throws {
        let store = TemporaryStore()
        defer { store.remove() }
        let worker = try RunningTool(["worker", "--metrics-port", "0", "--store", store.option])
        let url = try #require(URL(string: try await worker.line(startingWith: "metrics: ")))

        _ = try await CommandLineTool.run(["enqueue", "demo.echo", "--count", "3", "--store", store.option])
        try await waitUntil("3 finished demo.echo in /metrics") {
            try await Self.value(#"job_processor_jobs_finished_total{name="demo.echo"}"#, at: url) == 3
        }
        _ = try await CommandLineTool.run(["enqueue", "demo.echo", "--count", "4", "--store", store.option])
        _ = try await CommandLineTool.run(["enqueue", "demo.fail", "--count", "2", "--store", store.option])
        try await waitUntil("7 finished demo.echo and 2 errored demo.fail in /metrics") {
            let finished = try await Self.value(#"job_processor_jobs_finished_total{name="demo.echo"}"#, at: url)
            let errored = try await Self.value(#"job_processor_jobs_errored_total{name="demo.fail"}"#, at: url)
            return finished == 7 && errored == 2
        }
        let text = try await Self.scrape(url)
        #expect(try Self.value(#"job_processor_jobs_started_total{name="demo.echo"}"#, in: text) == 7)
        #expect(try Self.value(#"job_processor_jobs_running{name="demo.echo"}"#, in: text) == 0)
        #expect(text.contains(#"job_processor_job_run_duration_seconds_count{name="demo.echo"} 7"#))
        #expect(text.contains(#"job_processor_job_queue_wait_seconds_count{name="demo.echo"} 7"#))
        #expect(text.contains(#"job_processor_store_round_trips_total{operation="finishThenClaim"}"#)
                || text.contains(#"job_processor_store_round_trips_total{operation="finish"}"#))
        try await worker.stop()
        #expect(worker.process.status == 0)
    }

    @Test func aMetricsPortOutOfRangeIsRefusedBeforeTheWorkerStarts() async throws {
        let store = TemporaryStore()
        defer { store.remove() }
        let output = try await CommandLineTool.run(["worker", "--metrics-port", "70000", "--store", store.option])
        #expect(output.status != 0)
        #expect(output.stderr.contains("--metrics-port 70000"))
    }

    /// The body of `GET url`.
    static func scrape(_ url: URL) async throws -> String {
        let (data, response) = try await URLSession.shared.data(from: url)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw CLITestError("GET \(url): \(response)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The value of the sample `series` (name and labels, as printed) in the scrape of `url`.
    static func value(_ series: String, at url: URL) async throws -> Double? {
        try value(series, in: try await scrape(url))
    }

    /// The value of the sample `series` in a Prometheus text exposition.
    static func value(_ series: String, in text: String) throws -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
