import CMongoC
import Foundation

/// MongoDB Extended JSON (relaxed form) for BSON values: how payloads arrive from the command
/// line and how documents are printed.
public enum ExtendedJSON {
    /// Parses a JSON object (Extended JSON accepted: `{"$date": ...}`, `{"$oid": ...}`) into a
    /// document, using libbson's parser.
    /// - Throws: ``BSONError`` with code `invalidJSON` when the text is not a JSON object.
    public static func parseDocument(_ text: String) throws(BSONError) -> BSONDocument {
        let trimmed = text.drop { $0.isWhitespace }
        guard trimmed.first == "{" else {
            throw BSONError(.invalidJSON, reason: "expected a JSON object, got \(trimmed.isEmpty ? "nothing" : "another JSON value")")
        }
        var error = bson_error_t()
        let utf8 = Array(text.utf8)
        guard let bson = bson_new_from_json(utf8, utf8.count, &error) else {
            let message = withUnsafeBytes(of: error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw BSONError(.invalidJSON, reason: message)
        }
        defer { bson_destroy(bson) }
        return try BSONDocument(copying: bson)
    }

    /// Relaxed Extended JSON for `value`, keys in document order.
    public static func format(_ value: BSON) -> String {
        var output = ""
        write(value, to: &output)
        return output
    }

    private static func write(_ value: BSON, to output: inout String) {
        switch value {
        case .double(let number):
            if number.isFinite {
                output += number.rounded() == number && abs(number) < 1e15 ? String(format: "%.1f", number) : "\(number)"
            } else {
                output += "{\"$numberDouble\":\"\(number.isNaN ? "NaN" : number > 0 ? "Infinity" : "-Infinity")\"}"
            }
        case .string(let text): writeString(text, to: &output)
        case .document(let document):
            output += "{"
            for (index, field) in document.enumerated() {
                if index > 0 { output += "," }
                writeString(field.key, to: &output)
                output += ":"
                write(field.value, to: &output)
            }
            output += "}"
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                write(element, to: &output)
            }
            output += "]"
        case .binary(let subtype, let bytes):
            output += "{\"$binary\":{\"base64\":\"\(Data(bytes).base64EncodedString())\",\"subType\":\"\(String(format: "%02x", subtype))\"}}"
        case .objectId(let id): output += "{\"$oid\":\"\(id)\"}"
        case .bool(let flag): output += flag ? "true" : "false"
        case .date(let date): output += "{\"$date\":\"\(RFC3339.millisecondsUTC(date))\"}"
        case .null: output += "null"
        case .int32(let number): output += String(number)
        case .int64(let number): output += String(number)
        case .decimal128(let decimal): output += "{\"$numberDecimal\":\"\(decimal)\"}"
        case .regularExpression(let pattern, let options):
            output += "{\"$regularExpression\":{\"pattern\":"
            writeString(pattern, to: &output)
            output += ",\"options\":"
            writeString(options, to: &output)
            output += "}}"
        case .timestamp(let t, let i): output += "{\"$timestamp\":{\"t\":\(t),\"i\":\(i)}}"
        case .minKey: output += "{\"$minKey\":1}"
        case .maxKey: output += "{\"$maxKey\":1}"
        case .javascript(let code):
            output += "{\"$code\":"
            writeString(code, to: &output)
            output += "}"
        case .javascriptWithScope(let code, let scope):
            output += "{\"$code\":"
            writeString(code, to: &output)
            output += ",\"$scope\":"
            write(.document(scope), to: &output)
            output += "}"
        case .symbol(let text):
            output += "{\"$symbol\":"
            writeString(text, to: &output)
            output += "}"
        case .dbPointer(let ref, let id):
            output += "{\"$dbPointer\":{\"$ref\":"
            writeString(ref, to: &output)
            output += ",\"$id\":{\"$oid\":\"\(id)\"}}}"
        case .undefined: output += "{\"$undefined\":true}"
        }
    }

    private static func writeString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20: output += String(format: "\\u%04x", scalar.value)
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

/// RFC 3339 timestamps in UTC, as Extended JSON and logs print them.
enum RFC3339 {
    /// `2026-03-29T01:00:00.000Z`.
    static func millisecondsUTC(_ date: Date) -> String {
        let milliseconds = BSONWriter.milliseconds(date)
        var seconds = time_t(milliseconds.dividedRoundingDown(by: 1000))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec),
            Int(milliseconds - milliseconds.dividedRoundingDown(by: 1000) * 1000))
    }
}

extension Int64 {
    fileprivate func dividedRoundingDown(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
