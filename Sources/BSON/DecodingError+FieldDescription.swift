extension DecodingError {
    /// One line naming the field that could not be decoded and why, for a job's error message
    /// and logs: `items[2].count: expected an integer, found string`, or with `root` given,
    /// `payload.items[2].count: expected an integer, found string`.
    ///
    /// Rules, and why:
    /// - The path is the coding path: fields joined with dots, array elements as `[2]`; each
    ///   field is cut to 40 characters and a path of more than 8 parts keeps its first and last
    ///   4, so that the line stays readable whatever the data.
    /// - The problem is ``BSONDecoder``'s own description, which names BSON types and never
    ///   values. For an error thrown by a type's own `init(from:)`, whose message may quote the
    ///   value (the standard library's for an enum's unknown raw value does), only the kind of
    ///   error and the Swift type are given: a payload must not leak into logs.
    /// - A missing field reads `missing`.
    /// - Complexity: O(length of the coding path).
    public func fieldDescription(under root: String? = nil) -> String {
        let path: [any CodingKey]
        let problem: String
        switch self {
        case .typeMismatch(let type, let context):
            path = context.codingPath
            problem = Self.ownDescription(context) ?? "not a valid \(type)"
        case .valueNotFound(let type, let context):
            path = context.codingPath
            problem = Self.ownDescription(context) ?? "expected \(type), found no value"
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
            problem = "missing"
        case .dataCorrupted(let context):
            path = context.codingPath
            problem = Self.ownDescription(context) ?? "not a valid value"
        @unknown default:
            path = []
            problem = "cannot be decoded"
        }
        let field = Self.render(path, under: root)
        return field.isEmpty ? problem : field + ": " + problem
    }

    /// The description of an error ``BSONDecoder`` made, nil for any other.
    private static func ownDescription(_ context: Context) -> String? {
        (context.underlyingError as? BSONDecodingProblem)?.description
    }

    /// `root.items[2].count`.
    private static func render(_ path: [any CodingKey], under root: String?) -> String {
        var parts = path.map { key in
            BSONCodingKey.isIndex(key) ? "[\(key.intValue!)]" : "." + BSONError.shortened(key.stringValue)
        }
        if parts.count > 8 { parts = parts.prefix(4) + ["." + BSONError.elision(parts.count - 8)] + parts.suffix(4) }
        var text = root ?? ""
        for part in parts { text += text.isEmpty && part.hasPrefix(".") ? String(part.dropFirst()) : part }
        return text
    }
}
