import QueueTesting

/// Jobs, crons, workers and instants for the tests: the conformance suite's own, so that a
/// store's tests and the suite build on the same values.
typealias Fixture = JobStoreConformance.Fixture
