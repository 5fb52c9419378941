/// A coding key the encoder and decoder make themselves: a field's name, an array element's
/// index, or `super`.
///
/// An index key's `stringValue` is `Index 2`, as the standard library and Foundation spell
/// theirs, which is how ``Swift/DecodingError/fieldDescription(under:)`` tells an index (`[2]`)
/// from a field named with digits (`.2`, as a dictionary with `Int` keys has).
struct BSONCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    init(intValue: Int) {
        stringValue = "Index \(intValue)"
        self.intValue = intValue
    }

    /// The key of a superclass's encoding or decoding, as `superEncoder()` names it.
    static let `super` = BSONCodingKey(stringValue: "super")

    /// Whether `key` is an array index rather than a field name.
    static func isIndex(_ key: any CodingKey) -> Bool {
        guard let index = key.intValue else { return false }
        return key.stringValue == "Index \(index)"
    }
}
