import Foundation
import Queue

/// The overview's chart of jobs ended per minute over the last hour, finished and errored
/// stacked, as inline SVG. The page script redraws it from live figures with the same
/// geometry (`DashboardAssets.javascript`, `drawChart`).
enum EndingsChart {
    static let width = 600
    static let height = 120
    static let barWidth = 10

    /// Per minute of the hour ending at `now`'s minute, oldest first: (finished, errored).
    static func series(_ endings: [EndingsInMinute], now: Date) -> [(finished: Int, errored: Int)] {
        let last = EndingsInMinute.minute(of: now)
        var series = Array(repeating: (finished: 0, errored: 0), count: DashboardReader.chartMinutes)
        for ending in endings {
            let index = DashboardReader.chartMinutes - 1 - Int((last.timeIntervalSince(ending.minute) / 60).rounded())
            guard series.indices.contains(index) else { continue }
            switch ending.status {
            case .finished: series[index].finished += ending.count
            case .errored: series[index].errored += ending.count
            default: break
            }
        }
        return series
    }

    static func svg(_ endings: [EndingsInMinute], now: Date) -> String {
        let series = series(endings, now: now)
        let peak = max(1, series.map { $0.finished + $0.errored }.max() ?? 1)
        var bars = ""
        for (index, minute) in series.enumerated() {
            let x = index * barWidth
            let finished = minute.finished * (height - 10) / peak
            let errored = minute.errored * (height - 10) / peak
            if finished > 0 {
                bars += "<rect class=\"finished\" x=\"\(x)\" y=\(quote(height - finished)) width=\"\(barWidth - 2)\" height=\"\(finished)\"><title>\(minute.finished) finished</title></rect>"
            }
            if errored > 0 {
                bars += "<rect class=\"errored\" x=\"\(x)\" y=\(quote(height - finished - errored)) width=\"\(barWidth - 2)\" height=\"\(errored)\"><title>\(minute.errored) errored</title></rect>"
            }
        }
        return """
            <svg id="endings-chart" viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" role="img" \
            aria-label="jobs ended per minute over the last hour" data-peak="\(peak)">\(bars)</svg>
            """
    }

    private static func quote(_ value: Int) -> String { "\"\(value)\"" }
}
