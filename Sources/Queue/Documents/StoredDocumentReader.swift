import Foundation
import BSON

/// Reads the fields of one stored document (a job, worker or signal) into Swift values, turning
/// a missing or mistyped field into a ``JobStoreError`` with code `invalidDocument` that names
/// the document's id and the field, so that one bad document is reported, never a crash.
///
/// Messages name fields and BSON types, never field values, so payloads do not leak into logs.
/// Optional fields accept both an absent field and BSON null: the Node version stores null for
/// unset values, and documents written by hand or by older versions may leave them out.
package struct StoredDocumentReader {
    private let document: BSONDocument
    /// What the document is, for messages: `job 6650c0ffee...`.
    package let subject: String
    private let operation: String
    /// The dotted path of this (sub)document inside the stored one, with a trailing dot.
    private let prefix: String

    /// A reader for a top-level document of kind `kind` (`job`, `worker`, `signal`), read while
    /// doing `operation` (which the errors carry).
    package init(_ document: BSONDocument, kind: String, operation: String) {
        self.init(document, subject: Self.subject(of: document, kind: kind), operation: operation, prefix: "")
    }

    private init(_ document: BSONDocument, subject: String, operation: String, prefix: String) {
        self.document = document
        self.subject = subject
        self.operation = operation
        self.prefix = prefix
    }

    /// The error for `field`, which `reason` describes ("is missing", "should be a date...").
    package func invalid(_ field: String, _ reason: String) -> JobStoreError {
        JobStoreError(.invalidDocument, operation: operation, reason: "\(subject): field \"\(prefix)\(field)\" \(reason)")
    }

    /// Whether `field` is present, null included.
    package func contains(_ field: String) -> Bool { document[field] != nil }

    /// The raw value of `field`, or nil when absent (null is returned as `.null`).
    package func raw(_ field: String) -> BSON? { document[field] }

    /// The value of a field that must be present and not null, read by `read`, which returns
    /// nil for a value of the wrong type (described by `expected`, e.g. "a date").
    package func required<T>(_ field: String, _ expected: String, _ read: (BSON) -> T?) throws(JobStoreError) -> T {
        guard let value = try optional(field, expected, read) else { throw invalid(field, "is missing") }
        return value
    }

    /// The value of an optional field: nil when absent or null.
    package func optional<T>(_ field: String, _ expected: String, _ read: (BSON) -> T?) throws(JobStoreError) -> T? {
        guard let value = document[field], !value.isNull else { return nil }
        guard let result = read(value) else { throw invalid(field, "should be \(expected), not \(value.typeName)") }
        return result
    }

    package func string(_ field: String) throws(JobStoreError) -> String { try required(field, "a string", \.stringValue) }
    package func date(_ field: String) throws(JobStoreError) -> Date { try required(field, "a date", \.dateValue) }
    package func objectId(_ field: String) throws(JobStoreError) -> ObjectId {
        try required(field, "an ObjectId", \.objectIdValue)
    }

    package func optionalString(_ field: String) throws(JobStoreError) -> String? {
        try optional(field, "a string", \.stringValue)
    }
    package func optionalDate(_ field: String) throws(JobStoreError) -> Date? { try optional(field, "a date", \.dateValue) }
    package func optionalObjectId(_ field: String) throws(JobStoreError) -> ObjectId? {
        try optional(field, "an ObjectId", \.objectIdValue)
    }
    /// An optional integer field holding a ``Job/priorities`` value (int32, int64, or a double
    /// with no fraction).
    package func optionalPriority(_ field: String) throws(JobStoreError) -> Int? {
        try optional(field, "an integer from 0 to 1000000") { value in
            let number: Int?
            switch value {
            case .int32(let n): number = Int(n)
            case .int64(let n): number = Int(exactly: n)
            case .double(let n): number = Int(exactly: n)
            default: number = nil
            }
            return number.flatMap { Job.priorities.contains($0) ? $0 : nil }
        }
    }
    /// An optional non-negative integer field (int32, int64, or a double with no fraction).
    package func optionalCount(_ field: String) throws(JobStoreError) -> Int? {
        try optional(field, "a non-negative integer") { value in
            let number: Int?
            switch value {
            case .int32(let n): number = Int(n)
            case .int64(let n): number = Int(exactly: n)
            case .double(let n): number = Int(exactly: n)
            default: number = nil
            }
            return number.flatMap { $0 >= 0 ? $0 : nil }
        }
    }
    package func optionalBool(_ field: String) throws(JobStoreError) -> Bool? { try optional(field, "a boolean", \.boolValue) }
    package func optionalDocument(_ field: String) throws(JobStoreError) -> BSONDocument? {
        try optional(field, "a document", \.documentValue)
    }

    /// An optional list of strings: nil when absent or null.
    package func optionalStrings(_ field: String) throws(JobStoreError) -> [String]? {
        try optional(field, "an array of strings") { value in
            guard let elements = value.arrayValue else { return nil }
            let strings = elements.compactMap(\.stringValue)
            return strings.count == elements.count ? strings : nil
        }
    }

    /// A string field holding one of `Value`'s raw values (a status, a type...).
    package func value<Value: RawRepresentable>(_ field: String, as _: Value.Type) throws(JobStoreError) -> Value
    where Value.RawValue == String {
        guard let value = try optionalValue(field, as: Value.self) else { throw invalid(field, "is missing") }
        return value
    }

    /// An optional string field holding one of `Value`'s raw values.
    package func optionalValue<Value: RawRepresentable>(_ field: String, as _: Value.Type) throws(JobStoreError) -> Value?
    where Value.RawValue == String {
        guard let text = try optionalString(field) else { return nil }
        guard let value = Value(rawValue: text) else {
            // Enumerated values (statuses, types) are vocabulary, not user data: safe to quote.
            throw invalid(field, "has an unknown value \"\(text.prefix(40))\"")
        }
        return value
    }

    /// A reader for the subdocument `field`, or nil when it is absent or null.
    package func nested(_ field: String) throws(JobStoreError) -> StoredDocumentReader? {
        guard let nested = try optionalDocument(field) else { return nil }
        return StoredDocumentReader(nested, subject: subject, operation: operation, prefix: "\(prefix)\(field).")
    }

    /// `job 6650...` for an ObjectId `_id`; the kind and what is wrong with the `_id` otherwise.
    private static func subject(of document: BSONDocument, kind: String) -> String {
        switch document["_id"] {
        case .objectId(let id)?: "\(kind) \(id)"
        case .string(let id)?: "\(kind) \"\(id.prefix(64))\""
        case .int32(let id)?: "\(kind) \(id)"
        case .int64(let id)?: "\(kind) \(id)"
        case let other?: "\(kind) with an _id of type \(other.typeName)"
        case nil: "\(kind) without _id"
        }
    }
}
