import Foundation

extension BSONValueDecoder {
    /// `value` as one of the types with a BSON mapping of their own, nil for any other type.
    /// `codingPath` gives the path for an error.
    static func mapped<Value>(_ value: BSON, as type: Value.Type, at codingPath: () -> [any CodingKey]) throws -> Value? {
        let mapped: Any? =
            if type == String.self { try string(value, at: codingPath) }
            else if type == Int.self { try integer(value, as: Int.self, at: codingPath) }
            else if type == Double.self { try floatingPoint(value, as: Double.self, at: codingPath) }
            else if type == Bool.self { try bool(value, at: codingPath) }
            else if type == BSON.self { value }
            else if type == BSONDocument.self { try document(value, at: codingPath) }
            else if type == ObjectId.self { try objectId(value, at: codingPath) }
            else if type == Date.self { try date(value, at: codingPath) }
            else if type == Decimal128.self { try decimal(value, at: codingPath) }
            else if type == Data.self { try data(value, at: codingPath) }
            else if type == UUID.self { try uuid(value, at: codingPath) }
            else if type == URL.self { try url(value, at: codingPath) }
            else { nil }
        return mapped.map { $0 as! Value }
    }

    /// `decoder`'s value as `type` when `decoder` is a ``BSONValueDecoder`` and `type` one of
    /// the mapped types, for the `init(from:)` of ``BSON`` and its kin when a type's own
    /// `init(from:)` calls it directly: the value is then taken as it is. Nil otherwise.
    static func passedThrough<Value>(_ type: Value.Type, _ decoder: any Decoder) throws -> Value? {
        guard let decoder = decoder as? BSONValueDecoder else { return nil }
        return try mapped(decoder.value, as: type) { decoder.codingPath }
    }

    static func bool(_ value: BSON, at codingPath: () -> [any CodingKey]) throws -> Bool {
        guard case .bool(let flag) = value else {
            throw BSONDecodingProblem.mismatch(Bool.self, expected: "a boolean", found: value, at: codingPath())
        }
        return flag
    }

    /// A string or a symbol (which drivers read as a string).
    static func string(_ value: BSON, at codingPath: () -> [any CodingKey]) throws -> String {
        switch value {
        case .string(let text), .symbol(let text): return text
        default: throw BSONDecodingProblem.mismatch(String.self, expected: "a string", found: value, at: codingPath())
        }
    }

    /// An int32, an int64 or a double holding a whole number, within `Number`'s range.
    static func integer<Number: FixedWidthInteger>(
        _ value: BSON, as type: Number.Type, at codingPath: () -> [any CodingKey]
    ) throws -> Number {
        let number: Number?
        switch value {
        case .int32(let stored): number = Number(exactly: stored)
        case .int64(let stored): number = Number(exactly: stored)
        case .double(let stored):
            guard stored.rounded(.towardZero) == stored else {
                throw BSONDecodingProblem.invalid(
                    "expected an integer, found a double that is not a whole number", at: codingPath())
            }
            number = Number(exactly: stored)
        default:
            throw BSONDecodingProblem.mismatch(type, expected: "an integer", found: value, at: codingPath())
        }
        guard let number else {
            throw BSONDecodingProblem.invalid("expected \(type), found \(value.typeName) beyond its range", at: codingPath())
        }
        return number
    }

    /// Any number, rounded to the nearest `Number`; a finite one beyond `Number`'s range is
    /// refused rather than made infinite.
    static func floatingPoint<Number: BinaryFloatingPoint & LosslessStringConvertible>(
        _ value: BSON, as type: Number.Type, at codingPath: () -> [any CodingKey]
    ) throws -> Number {
        let number: Number
        switch value {
        case .double(let stored): number = Number(stored)
        case .int32(let stored): number = Number(stored)
        case .int64(let stored): number = Number(stored)
        case .decimal128(let stored):
            // The canonical string ("1.5", "1E+3", "NaN", "-Infinity") parses as the nearest.
            guard let parsed = Number(stored.description) else {
                throw BSONDecodingProblem.invalid("expected \(type), found a decimal it cannot read", at: codingPath())
            }
            number = parsed
        default:
            throw BSONDecodingProblem.mismatch(type, expected: "a number", found: value, at: codingPath())
        }
        guard number.isFinite || !Self.isFinite(value) else {
            throw BSONDecodingProblem.invalid("expected \(type), found \(value.typeName) beyond its range", at: codingPath())
        }
        return number
    }

    /// Whether a numeric `value` is finite (an integer always is).
    private static func isFinite(_ value: BSON) -> Bool {
        switch value {
        case .double(let stored): stored.isFinite
        case .decimal128(let stored): if case .finite = stored.kind { true } else { false }
        default: true
        }
    }

    static func document(_ value: BSON, at codingPath: () -> [any CodingKey]) throws -> BSONDocument {
        guard case .document(let document) = value else {
            throw BSONDecodingProblem.mismatch(BSONDocument.self, expected: "a document", found: value, at: codingPath())
        }
        return document
    }

    static func objectId(_ value: BSON, at codingPath: () -> [any CodingKey]) throws -> ObjectId {
        guard case .objectId(let id) = value else {
            throw BSONDecodingProblem.mismatch(ObjectId.self, expected: "an objectId", found: value, at: codingPath())
        }
        return id
    }

    static func date(_ value: BSON, at codingPath: () -> [any CodingKey]) throws -> Date {
        guard case .date(let date) = value else {
            throw BSONDecodingProblem.mismatch(Date.self, expected: "a date", found: value, at: codingPath())
        }
        return date
    }

    static func decimal(_ value: BSON, at codingPath: () -> [any CodingKey]) throws -> Decimal128 {
        guard case .decimal128(let decimal) = value else {
            throw BSONDecodingProblem.mismatch(Decimal128.self, expected: "a decimal", found: value, at: codingPath())
        }
        return decimal
    }

    /// The bytes of binary data of any subtype.
    static func data(_ value: BSON, at codingPath: () -> [any CodingKey]) throws -> Data {
        guard case .binary(_, let bytes) = value else {
            throw BSONDecodingProblem.mismatch(Data.self, expected: "binary data", found: value, at: codingPath())
        }
        return Data(bytes)
    }

    /// 16 bytes of binary subtype 4 (UUID) or 3 (the legacy UUID subtype), or a string such as
    /// `E621E1F8-C36C-495A-93FC-0C247A3E6E5F`.
    static func uuid(_ value: BSON, at codingPath: () -> [any CodingKey]) throws -> UUID {
        switch value {
        case .binary(let subtype, let bytes) where subtype == 4 || subtype == 3:
            guard bytes.count == 16 else {
                throw BSONDecodingProblem.invalid(
                    "expected a UUID, found binData of subtype \(subtype) that is not 16 bytes long", at: codingPath())
            }
            return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        case .string(let text):
            guard let uuid = UUID(uuidString: text) else {
                throw BSONDecodingProblem.invalid("expected a UUID, found a string that is not one", at: codingPath())
            }
            return uuid
        case .binary(let subtype, _):
            throw BSONDecodingProblem.invalid(
                "expected a UUID, found binData of subtype \(subtype), not 4 or 3", at: codingPath())
        default:
            throw BSONDecodingProblem.mismatch(UUID.self, expected: "a UUID", found: value, at: codingPath())
        }
    }

    static func url(_ value: BSON, at codingPath: () -> [any CodingKey]) throws -> URL {
        guard case .string(let text) = value else {
            throw BSONDecodingProblem.mismatch(URL.self, expected: "a URL string", found: value, at: codingPath())
        }
        guard let url = URL(string: text) else {
            throw BSONDecodingProblem.invalid("expected a URL, found a string that is not one", at: codingPath())
        }
        return url
    }
}
