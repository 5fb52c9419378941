/// Why a cron expression was rejected: which field, which piece of text, and the reason.
///
/// Errors are typed values, not strings, so callers (an API that validates schedules, the
/// CLI) can react to `code` and point at `field` and `text` without parsing messages. The
/// `description` is one line, e.g. `day-of-month: 32 is outside 1-31 in "0 0 32 * *"`.
/// A cron expression is configuration, not a secret, so the error quotes it in full.
public struct CronParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of mistake. A struct wrapping a private enum so that kinds can be added
    /// without breaking callers that switch over them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case fieldCount, unknownMacro, emptyItem, invalidValue, outOfRange, invalidStep
            case reversedRange, misplacedSymbol, neverFires
        }

        private let value: Value

        /// Not 5 or 6 fields (or an empty expression).
        public static let fieldCount = Code(value: .fieldCount)
        /// A word after `@` that is not one of the macros (`@daily`, ...).
        public static let unknownMacro = Code(value: .unknownMacro)
        /// An empty item in a list, e.g. `1,,2`.
        public static let emptyItem = Code(value: .emptyItem)
        /// Text that is neither a number nor a name the field knows.
        public static let invalidValue = Code(value: .invalidValue)
        /// A number outside the field's range, e.g. minute 60.
        public static let outOfRange = Code(value: .outOfRange)
        /// A step of 0, or larger than the number of values the field has.
        public static let invalidStep = Code(value: .invalidStep)
        /// A range whose start is after its end, e.g. `5-1`.
        public static let reversedRange = Code(value: .reversedRange)
        /// `?`, `L` or `#` in a field that does not accept it, or used wrongly.
        public static let misplacedSymbol = Code(value: .misplacedSymbol)
        /// Every field is valid but no date satisfies them together, e.g. `0 0 30 2 *`.
        public static let neverFires = Code(value: .neverFires)

        /// The code's name, e.g. `outOfRange`.
        public var description: String { value.rawValue }
    }

    /// What kind of mistake this is.
    public let code: Code
    /// The field that holds the mistake (`CronField.expression` for whole-expression errors).
    public let field: CronField
    /// The offending text: a list item, a number, a step, or the whole expression.
    public let text: String
    /// Why the text was rejected, phrased to follow the text: "is outside 1-31".
    public let reason: String
    /// The full expression as given.
    public let expression: String

    /// Creates an error. Used by the parser; public so tests and wrappers can build expected
    /// values. O(1).
    public init(code: Code, field: CronField, text: String, reason: String, expression: String) {
        self.code = code
        self.field = field
        self.text = text
        self.reason = reason
        self.expression = expression
    }

    /// One line: `field: text reason in "expression"`, or `field: "expression" reason` when
    /// the offending text is the whole expression. Control characters in the input are
    /// escaped (`\n`, `\u{7}`) so the message stays on one line. O(length of the expression).
    public var description: String {
        let quoted = "\"" + Self.escaped(expression) + "\""
        if text == expression {
            return "\(field.name): \(quoted) \(reason)"
        }
        let shown = text.isEmpty ? "\"\"" : Self.escaped(text)
        return "\(field.name): \(shown) \(reason) in \(quoted)"
    }

    private static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.properties.generalCategory == .control
                || scalar.properties.generalCategory == .lineSeparator
                || scalar.properties.generalCategory == .paragraphSeparator:
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
