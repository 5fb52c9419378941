import QueueTesting

/// Jobs, crons, workers and instants for the tests: the conformance suite's own, so that a
/// store's tests and the suite build on the same values.
public typealias Fixture = JobStoreConformance.Fixture
