import Foundation

/// `BSON` and ``BSONDocument`` are `Codable` so that a payload type can hold raw BSON:
/// ``BSONEncoder`` and ``BSONDecoder`` pass them through unchanged.
///
/// Other coders (JSON, property lists) get the nearest plain value: documents and arrays as
/// containers, numbers, strings, booleans and null as themselves, a date as `Date`, an ObjectId
/// as its hex string, binary of subtype 0 as `Data` and a decimal as its string. Types with no
/// plain equivalent (regular expressions, timestamps, code, min and max keys, other binary
/// subtypes...) are refused when encoding rather than changed. Decoding from them reads null,
/// booleans, integers (as int32 or int64), doubles, strings, keyed containers as documents and
/// unkeyed ones as arrays, in that order of preference: a date or an ObjectId comes back as
/// the value it was written as.
extension BSON: Codable {
    public func encode(to encoder: any Encoder) throws {
        if try BSONNodeEncoder.passedThrough(self, encoder) { return }
        var container = encoder.singleValueContainer()
        switch self {
        case .double(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .document(let document): try container.encode(document)
        case .array(let elements): try container.encode(elements)
        case .bool(let flag): try container.encode(flag)
        case .null: try container.encodeNil()
        case .int32(let number): try container.encode(number)
        case .int64(let number): try container.encode(number)
        case .date(let date): try container.encode(date)
        case .objectId(let id): try container.encode(id)
        case .binary(0, let bytes): try container.encode(Data(bytes))
        case .decimal128(let decimal): try container.encode(decimal)
        default:
            throw EncodingError.invalidValue(self, EncodingError.Context(
                codingPath: encoder.codingPath,
                debugDescription: "BSON \(typeName) has no equivalent outside BSONEncoder"))
        }
    }

    public init(from decoder: any Decoder) throws {
        if let mapped = try BSONValueDecoder.passedThrough(BSON.self, decoder) {
            self = mapped
            return
        }
        if let container = try? decoder.singleValueContainer() {
            if container.decodeNil() {
                self = .null
                return
            }
            if let flag = try? container.decode(Bool.self) {
                self = .bool(flag)
                return
            }
            if let number = try? container.decode(Int64.self) {
                self = BSON(Int(number))
                return
            }
            if let number = try? container.decode(Double.self) {
                self = .double(number)
                return
            }
            if let text = try? container.decode(String.self) {
                self = .string(text)
                return
            }
        }
        if let document = try? BSONDocument(from: decoder) {
            self = .document(document)
            return
        }
        if var container = try? decoder.unkeyedContainer() {
            var elements: [BSON] = []
            while !container.isAtEnd { elements.append(try container.decode(BSON.self)) }
            self = .array(elements)
            return
        }
        throw DecodingError.dataCorrupted(DecodingError.Context(
            codingPath: decoder.codingPath, debugDescription: "not a value BSON can hold"))
    }
}

extension BSONDocument: Codable {
    public func encode(to encoder: any Encoder) throws {
        if try BSONNodeEncoder.passedThrough(self, encoder) { return }
        var container = encoder.container(keyedBy: BSONCodingKey.self)
        for (key, value) in self { try container.encode(value, forKey: BSONCodingKey(stringValue: key)) }
    }

    public init(from decoder: any Decoder) throws {
        if let mapped = try BSONValueDecoder.passedThrough(BSONDocument.self, decoder) {
            self = mapped
            return
        }
        let container = try decoder.container(keyedBy: BSONCodingKey.self)
        var fields: [Element] = []
        for key in container.allKeys { fields.append((key.stringValue, try container.decode(BSON.self, forKey: key))) }
        self.init(readFields: fields)
    }
}
