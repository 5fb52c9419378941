/// ``BSONEncoder`` and ``BSONDecoder`` store a decimal as itself; other coders as its
/// canonical string (`"1.50"`), which keeps every digit a number would round.
extension Decimal128: Codable {
    public func encode(to encoder: any Encoder) throws {
        if try BSONNodeEncoder.passedThrough(self, encoder) { return }
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        if let mapped = try BSONValueDecoder.passedThrough(Decimal128.self, decoder) {
            self = mapped
            return
        }
        let container = try decoder.singleValueContainer()
        guard let decimal = Decimal128(try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a decimal number")
        }
        self = decimal
    }
}
