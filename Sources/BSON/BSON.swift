import Foundation

/// A BSON value: what job payloads, results and stored documents are made of.
///
/// The cases are every BSON type MongoDB stores, deprecated ones included (symbol, DBPointer,
/// undefined, code with scope), so that any document read from the database is written back
/// unchanged; a type byte outside the specification is reported as a ``BSONError`` naming the
/// key, never silently dropped.
/// Integers become `int32` when they fit and `int64` otherwise, as pymongo and the shell do
/// (some servers accept only `int32` for flags such as index directions).
///
/// Equality, hashing and encoding walk nested values recursively, once per level. That is
/// bounded for every value this library makes: the BSON reader refuses more than 150 levels,
/// the JSON parser more than 100, and `checkStorable` refuses a caller's deeper value before it
/// is stored. ``ExtendedJSON/format(_:)`` and `checkStorable` themselves never recurse.
public enum BSON: Sendable, Hashable {
    /// A 64-bit binary floating-point number.
    case double(Double)
    /// A UTF-8 string.
    case string(String)
    /// An embedded document, its keys in order.
    case document(BSONDocument)
    /// An array (BSON stores it as a document keyed `"0"`, `"1"`, ...).
    case array([BSON])
    /// Binary data and its subtype byte (0 generic, 4 UUID, 0x80 and above user-defined).
    case binary(subtype: UInt8, bytes: [UInt8])
    /// A 12-byte ObjectId: the `_id` of every job, worker and signal document.
    case objectId(ObjectId)
    /// A boolean.
    case bool(Bool)
    /// A UTC instant with millisecond precision (BSON stores milliseconds since 1970).
    case date(Date)
    /// Null: how the stores write an absent optional field (`worker_id: null`).
    case null
    /// A 32-bit integer: what an integer that fits becomes.
    case int32(Int32)
    /// A 64-bit integer (`NumberLong`): what an integer beyond the 32-bit range becomes.
    case int64(Int64)
    /// A decimal floating-point number, kept as its 128 bits.
    case decimal128(Decimal128)
    /// A regular expression and its option letters (BSON stores both as C strings, so neither
    /// can hold NUL; the writer turns one into `?`).
    case regularExpression(pattern: String, options: String)
    /// MongoDB's internal replication timestamp: seconds since 1970 `t` and an ordinal `i`.
    case timestamp(t: UInt32, i: UInt32)
    /// The value that sorts before every other.
    case minKey
    /// The value that sorts after every other.
    case maxKey
    /// JavaScript code.
    case javascript(String)
    /// JavaScript code with the variables it is evaluated with (deprecated in MongoDB).
    case javascriptWithScope(code: String, scope: BSONDocument)
    /// A symbol (deprecated in MongoDB; drivers read it as a string with a different type).
    case symbol(String)
    /// A reference to a document by collection name and id (deprecated in MongoDB).
    case dbPointer(ref: String, id: ObjectId)
    /// The undefined value (deprecated in MongoDB).
    case undefined
}

extension BSON {
    /// The string, if this is a string.
    public var stringValue: String? { if case .string(let value) = self { value } else { nil } }
    /// The document, if this is a document.
    public var documentValue: BSONDocument? { if case .document(let value) = self { value } else { nil } }
    /// The elements, if this is an array.
    public var arrayValue: [BSON]? { if case .array(let value) = self { value } else { nil } }
    /// The identifier, if this is an ObjectId.
    public var objectIdValue: ObjectId? { if case .objectId(let value) = self { value } else { nil } }
    /// The instant, if this is a date.
    public var dateValue: Date? { if case .date(let value) = self { value } else { nil } }
    /// The boolean, if this is a boolean.
    public var boolValue: Bool? { if case .bool(let value) = self { value } else { nil } }
    /// Whether this is BSON null.
    public var isNull: Bool { if case .null = self { true } else { false } }

    /// The value as an integer, for any numeric case holding a whole number (stores written by
    /// other drivers use int32, int64 or double for the same field).
    public var intValue: Int? {
        switch self {
        case .int32(let value): Int(value)
        case .int64(let value): Int(value)
        case .double(let value) where value.rounded() == value && abs(value) < 9e15: Int(value)
        default: nil
        }
    }

    /// The value as a floating-point number, for any numeric case.
    public var doubleValue: Double? {
        switch self {
        case .int32(let value): Double(value)
        case .int64(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The BSON type byte of this value (the BSON specification's numbering).
    var typeCode: UInt8 {
        switch self {
        case .double: 0x01
        case .string: 0x02
        case .document: 0x03
        case .array: 0x04
        case .binary: 0x05
        case .objectId: 0x07
        case .bool: 0x08
        case .date: 0x09
        case .null: 0x0A
        case .int32: 0x10
        case .int64: 0x12
        case .decimal128: 0x13
        case .regularExpression: 0x0B
        case .timestamp: 0x11
        case .minKey: 0xFF
        case .maxKey: 0x7F
        case .javascript: 0x0D
        case .javascriptWithScope: 0x0F
        case .symbol: 0x0E
        case .dbPointer: 0x0C
        case .undefined: 0x06
        }
    }

    /// The type's alias in MongoDB's `$type` operator (`"int"`, `"long"`, `"object"`...), for
    /// messages that name a value's type and never the value.
    package var typeName: String {
        switch self {
        case .double: "double"
        case .string: "string"
        case .document: "object"
        case .array: "array"
        case .binary: "binData"
        case .objectId: "objectId"
        case .bool: "bool"
        case .date: "date"
        case .null: "null"
        case .int32: "int"
        case .int64: "long"
        case .decimal128: "decimal"
        case .regularExpression: "regex"
        case .timestamp: "timestamp"
        case .minKey: "minKey"
        case .maxKey: "maxKey"
        case .javascript: "javascript"
        case .javascriptWithScope: "javascriptWithScope"
        case .symbol: "symbol"
        case .dbPointer: "dbPointer"
        case .undefined: "undefined"
        }
    }
}

extension BSON {
    /// `int32` when `value` fits, `int64` otherwise.
    public init(_ value: Int) {
        self = Int32(exactly: value).map { .int32($0) } ?? .int64(Int64(value))
    }
}

extension BSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self.init(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: BSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, BSON)...) {
        self = .document(BSONDocument(elements))
    }
}

extension BSON: CustomStringConvertible {
    /// Relaxed Extended JSON, as MongoDB tools print it.
    public var description: String { ExtendedJSON.format(self) }
}
