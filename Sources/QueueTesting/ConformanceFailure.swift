/// A store doing something other than what ``JobStore`` promises, found by a conformance check.
///
/// Says what the check expected, what it found, and where in the check it looked; the check's
/// name is added by ``JobStoreConformance/Check`` as the failure leaves it.
public struct ConformanceFailure: Error, Sendable, CustomStringConvertible {
    /// The check that failed; nil for a failure raised outside a check (by a fixture helper
    /// called from a test of its own).
    public internal(set) var check: String?
    /// What the check expected.
    public var expected: String
    /// What the store did instead.
    public var found: String
    /// The file of the expectation that failed, as `#fileID` writes it.
    public var fileID: String
    /// The line of the expectation that failed.
    public var line: Int

    /// A failure of the expectation at `fileID`:`line`.
    public init(expected: String, found: String, fileID: String = #fileID, line: Int = #line) {
        self.expected = expected
        self.found = found
        self.fileID = fileID
        self.line = line
    }

    /// `<check>: expected <expected>, found <found> (<fileID>:<line>)`.
    public var description: String {
        "\(check.map { "\($0): " } ?? "")expected \(expected), found \(found) (\(fileID):\(line))"
    }
}
