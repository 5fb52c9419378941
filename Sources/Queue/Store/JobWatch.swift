import Foundation
import BSON

/// A running notification started by ``JobStore/watchNewJobs(_:_:)``.
public protocol JobWatch: Sendable {
    /// Stops the notifications; none is delivered after it returns.
    func cancel()

    /// Whether the worker wants reports for now. A worker whose last claim found jobs claims
    /// again as soon as it can and learns nothing from a report, so the watch may skip the
    /// work of finding what to report (a read per write, for SQLite) until it is wanted
    /// again. The worker asks for reports again before its check for the next due job, which
    /// covers anything written meanwhile. The default implementation ignores it.
    func setWanted(_ wanted: Bool)
}

extension JobWatch {
    /// Ignored: the watch reports whenever it can.
    public func setWanted(_ wanted: Bool) {}
}
