import Queue

/// A BSON value as indented Extended JSON, for a person to read (payloads, results): the
/// one-line text of `ExtendedJSON.format`, re-indented outside its strings. The caller escapes
/// it for HTML.
enum PrettyJSON {
    static func format(_ value: BSON) -> String {
        let compact = ExtendedJSON.format(value)
        var output = ""
        output.reserveCapacity(compact.utf8.count * 2)
        var depth = 0
        var inString = false
        var escaped = false
        var previous: Character = " "
        func newline() { output += "\n" + String(repeating: "  ", count: depth) }
        for character in compact {
            defer { previous = character }
            if inString {
                output.append(character)
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                continue
            }
            switch character {
            case "\"":
                inString = true
                output.append(character)
            case "{", "[":
                depth += 1
                output.append(character)
                newline()
            case "}", "]":
                depth -= 1
                if previous == "{" || previous == "[" {
                    // An empty object or array stays on its line: drop the break just written.
                    while output.last == " " || output.last == "\n" { output.removeLast() }
                } else {
                    newline()
                }
                output.append(character)
            case ",":
                output.append(character)
                newline()
            case ":":
                output += ": "
            default:
                output.append(character)
            }
        }
        return output
    }
}
