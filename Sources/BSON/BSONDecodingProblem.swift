/// The underlying error of the `DecodingError`s ``BSONDecoder`` throws: its description names
/// types and never values, which is how ``Swift/DecodingError/fieldDescription(under:)`` knows
/// it may show it (a type's own `init(from:)` may put a value in its message).
struct BSONDecodingProblem: Error, CustomStringConvertible {
    let description: String

    /// `expected <expected>, found <found's type>`: `typeMismatch`, or `valueNotFound` for null.
    static func mismatch(_ type: Any.Type, expected: String, found: BSON, at codingPath: [any CodingKey]) -> DecodingError {
        let context = context("expected \(expected), found \(found.typeName)", codingPath)
        return found.isNull ? .valueNotFound(type, context) : .typeMismatch(type, context)
    }

    /// `valueNotFound`: an unkeyed container was read past its last element. `expected` says
    /// what was asked for, the type's name by default.
    static func endOfArray(_ type: Any.Type, expected: String? = nil, at codingPath: [any CodingKey]) -> DecodingError {
        .valueNotFound(type, context("expected \(expected ?? "\(type)"), found the end of the array", codingPath))
    }

    /// `dataCorrupted`: a value of the right BSON type that the Swift type cannot hold.
    static func invalid(_ description: String, at codingPath: [any CodingKey]) -> DecodingError {
        .dataCorrupted(context(description, codingPath))
    }

    /// `keyNotFound`: the document has no field `key`.
    static func missing(_ key: any CodingKey, at codingPath: [any CodingKey]) -> DecodingError {
        .keyNotFound(key, context("missing", codingPath))
    }

    /// A context whose description is `description` and whose underlying error says so too.
    private static func context(_ description: String, _ codingPath: [any CodingKey]) -> DecodingError.Context {
        DecodingError.Context(codingPath: codingPath, debugDescription: description,
                              underlyingError: BSONDecodingProblem(description: description))
    }
}
