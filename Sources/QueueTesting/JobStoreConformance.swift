import Queue

/// The conformance suite of ``JobStore``: every guarantee the protocol's doc comments state, as
/// checks that any store can run, so that a store written outside this package is held to the
/// same rules as the memory, SQLite and MongoDB stores.
///
/// A store author's whole test is one parameterised test (swift-testing shown; the checks use
/// no test framework, so any runner that can call an async function will do):
///
/// ```swift
/// import Testing
/// import QueueTesting
///
/// @Test(arguments: JobStoreConformance.checks)
/// func myStoreConforms(_ check: JobStoreConformance.Check) async throws {
///     try await check.run(try await makeMyStore())  // a store onto an empty database
/// }
/// ```
///
/// Each check proves one behaviour, after which it is named, and throws a
/// ``ConformanceFailure`` saying what it expected and what it found. Errors the store throws
/// come out as they are. A store that several processes share (a database server, a file)
/// should be run through a ``JobStoreFactory`` instead of a single store: the checks of
/// concurrent callers then spread them over several handles onto one database, as several
/// processes would.
///
/// What only one store can show (its schema, its indexes, documents other programs wrote, how
/// many round trips a call takes) is for that store's own tests.
public enum JobStoreConformance {
    /// Every check, grouped by operation: prepare and insert, batches of inserts, queries,
    /// claims, endings and kills, running jobs, crons, workers and signals, retention, views,
    /// job options.
    public static let checks: [Check] =
        prepareChecks + insertChecks + batchChecks + queryChecks + claimChecks + finishChecks + killChecks
        + runningChecks + cronChecks + workerChecks + retentionChecks + viewChecks + optionChecks

    /// How many handles a check of concurrent callers opens onto its database.
    static let concurrentHandles = 4

    /// `count` callers spread over `stores` in turn: each store serves about as many callers.
    static func spread(_ count: Int, over stores: [any JobStore]) -> [any JobStore] {
        (0..<count).map { stores[$0 % stores.count] }
    }
}
