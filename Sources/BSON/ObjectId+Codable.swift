/// ``BSONEncoder`` and ``BSONDecoder`` store an ObjectId as itself; other coders as its 24
/// lowercase hexadecimal digits, as MongoDB's tools print it.
extension ObjectId: Codable {
    public func encode(to encoder: any Encoder) throws {
        if try BSONNodeEncoder.passedThrough(self, encoder) { return }
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        if let mapped = try BSONValueDecoder.passedThrough(ObjectId.self, decoder) {
            self = mapped
            return
        }
        let container = try decoder.singleValueContainer()
        guard let id = ObjectId(try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected 24 hexadecimal digits")
        }
        self = id
    }
}
