extension JobStoreConformance {
    /// Throws unless `found` equals `expected`.
    /// - Parameter comment: why it should, when the values alone do not say.
    public static func expect<Value: Equatable>(
        _ found: Value, equals expected: Value, _ comment: String? = nil, fileID: String = #fileID, line: Int = #line
    ) throws(ConformanceFailure) {
        guard found != expected else { return }
        throw ConformanceFailure(
            expected: describe(expected) + (comment.map { " (\($0))" } ?? ""), found: describe(found), fileID: fileID,
            line: line)
    }

    /// Throws unless `condition` holds.
    /// - Parameter expectation: what the condition means, said as what is expected.
    public static func expect(
        _ condition: Bool, _ expectation: String, fileID: String = #fileID, line: Int = #line
    ) throws(ConformanceFailure) {
        guard !condition else { return }
        throw ConformanceFailure(expected: expectation, found: "otherwise", fileID: fileID, line: line)
    }

    /// `value`, or a failure when it is nil.
    /// - Parameter comment: what the value is, when the check cannot go on without it.
    public static func require<Value>(
        _ value: Value?, _ comment: String? = nil, fileID: String = #fileID, line: Int = #line
    ) throws(ConformanceFailure) -> Value {
        guard let value else {
            throw ConformanceFailure(expected: comment ?? "a \(Value.self)", found: "nil", fileID: fileID, line: line)
        }
        return value
    }

    /// The error of type `type` that `body` throws, or a failure when it returns or throws
    /// another error.
    @discardableResult
    public static func expect<Failure: Error>(
        throws errorType: Failure.Type, _ comment: String? = nil, fileID: String = #fileID, line: Int = #line,
        _ body: () async throws -> Void
    ) async throws(ConformanceFailure) -> Failure {
        let expected = "a \(Failure.self)" + (comment.map { " (\($0))" } ?? "")
        do {
            try await body()
        } catch let error as Failure {
            return error
        } catch {
            throw ConformanceFailure(expected: expected, found: "\(type(of: error)): \(error)", fileID: fileID, line: line)
        }
        throw ConformanceFailure(expected: expected, found: "no error", fileID: fileID, line: line)
    }

    /// A value as a failure shows it: optionals unwrapped, nil as `nil`.
    private static func describe<Value>(_ value: Value) -> String {
        if let optional = value as? any OptionalDescribing { return optional.describedValue }
        return String(describing: value)
    }
}

/// Lets ``JobStoreConformance`` show `Optional(x)` as `x`.
private protocol OptionalDescribing {
    var describedValue: String { get }
}

extension Optional: OptionalDescribing {
    fileprivate var describedValue: String { map { String(describing: $0) } ?? "nil" }
}
