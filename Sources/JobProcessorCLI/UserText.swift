/// Text a user gave (job names, ids, option values), checked and shown so that every message
/// stays one line.
///
/// Why: a name holding a newline split the error that quoted it in two, and a terminal
/// obeys the escape sequences and bidirectional overrides a name may hold. Names are refused
/// when they hold a control character; anything shown in a message is escaped Swift-style
/// (`\n`, `\u{1B}`), which also shows the user what the shell passed.
enum UserText {
    /// Characters a name may not hold: controls (C0, DEL, C1) and the line and paragraph
    /// separators, the characters that break or rewrite a line of output.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }

    /// Characters escaped when shown: the controls, and the invisible format characters
    /// (zero-width spaces, bidirectional overrides) that would hide what the text holds.
    static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        isControl(scalar) || scalar.properties.generalCategory == .format
    }

    /// `text` with its controls and format characters escaped: for text shown unquoted, and
    /// for whole messages (backslashes are left alone, so escaping twice changes nothing).
    /// O(length).
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isHidden) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            result += isHidden(scalar) ? escape(scalar) : String(scalar)
        }
        return result
    }

    /// `"text"`, with quotes, backslashes, controls and format characters escaped as in a
    /// Swift string literal. O(length).
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where isHidden(scalar): result += escape(scalar)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// Refuses `text` if it holds a control character: `what` names it in the message, e.g.
    /// `job name "demo\necho" holds a control character (U+000A): names are one line of text`.
    static func requireNoControls(_ text: String, _ what: String) throws(CommandFailure) {
        guard let control = text.unicodeScalars.first(where: isControl) else { return }
        throw CommandFailure("\(what) \(quoted(text)) holds a control character (\(codePoint(control))): names are one line of text")
    }

    /// `U+000A`.
    static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": "\\n"
        case "\r": "\\r"
        case "\t": "\\t"
        case "\0": "\\0"
        default: "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        }
    }
}
