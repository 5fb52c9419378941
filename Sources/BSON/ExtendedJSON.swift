import Foundation

/// MongoDB Extended JSON (version 2) for BSON values: how payloads arrive from the command line
/// and how documents are printed.
///
/// `format` writes the relaxed form where it keeps the BSON type (plain JSON numbers for int32,
/// doubles and int64 beyond the int32 range, ISO-8601 dates for years 1970 to 9999) and the
/// canonical wrapper everywhere else, so that `parseDocument(format(document))` gives back the
/// same document, types included, for every document whose keys do not start with `$`.
public enum ExtendedJSON {
    /// Parses one JSON object (RFC 8259), with extended JSON's type wrappers in canonical or
    /// relaxed form (`{"$oid": ...}`, `{"$date": ...}`, `{"$numberLong": ...}`...), into a
    /// document. Nothing but whitespace may follow the object; documents and arrays may nest
    /// at most 100 levels (the object itself is level 1). See ``ExtendedJSONParser``.
    /// - Throws: ``BSONError`` with code `invalidJSON`, naming what is wrong and its byte
    ///   offset, never the text's values.
    /// - Complexity: O(length of the text).
    public static func parseDocument(_ text: String) throws(BSONError) -> BSONDocument {
        var text = text
        text.makeContiguousUTF8()
        let result: Result<BSONDocument, BSONError>? = text.utf8.withContiguousStorageIfAvailable { utf8 in
            Result { () throws(BSONError) in try ExtendedJSONParser.parseDocument(UnsafeRawBufferPointer(utf8)) }
        }
        if let result { return try result.get() }
        return try ExtendedJSONParser.parseDocument(Array(text.utf8))
    }

    /// Extended JSON for `value`, keys in document order. Iterative, so that even a value
    /// nested far deeper than MongoDB stores is printed rather than overflowing the stack.
    /// Complexity: O(size of the value).
    public static func format(_ value: BSON) -> String {
        var output = ""
        // What is left to write, last first: values, and the punctuation between them.
        var pending: [Pending] = [.value(value)]
        while let next = pending.popLast() {
            switch next {
            case .text(let text): output += text
            case .value(.document(let document)): push(document, into: &pending, output: &output)
            case .value(.array(let elements)):
                output += "["
                pending.append(.text("]"))
                for (index, element) in elements.enumerated().reversed() {
                    pending.append(.value(element))
                    if index > 0 { pending.append(.text(",")) }
                }
            case .value(.javascriptWithScope(let code, let scope)):
                output += "{\"$code\":"
                writeString(code, to: &output)
                output += ",\"$scope\":"
                pending.append(.text("}"))
                push(scope, into: &pending, output: &output)
            case .value(let scalar): writeScalar(scalar, to: &output)
            }
        }
        return output
    }

    private enum Pending {
        case value(BSON)
        case text(String)
    }

    /// Writes `{` and queues the fields of `document` and the closing `}`.
    private static func push(_ document: BSONDocument, into pending: inout [Pending], output: inout String) {
        output += "{"
        pending.append(.text("}"))
        for (index, field) in document.enumerated().reversed() {
            pending.append(.value(field.value))
            var key = index > 0 ? "," : ""
            writeString(field.key, to: &key)
            pending.append(.text(key + ":"))
        }
    }

    /// Writes a value that holds no document or array.
    private static func writeScalar(_ value: BSON, to output: inout String) {
        switch value {
        case .double(let number):
            if number.isFinite {
                // Always with a point or an exponent, so that it parses back as a double.
                output += number.rounded() == number && abs(number) < 1e15 ? String(format: "%.1f", number) : "\(number)"
            } else {
                output += "{\"$numberDouble\":\"\(number.isNaN ? "NaN" : number > 0 ? "Infinity" : "-Infinity")\"}"
            }
        case .string(let text): writeString(text, to: &output)
        case .binary(let subtype, let bytes):
            let payload = subtype == 2 ? oldBinaryPayload(bytes) : bytes[...]
            output += "{\"$binary\":{\"base64\":\"\(Data(payload).base64EncodedString())\",\"subType\":\"\(String(format: "%02x", subtype))\"}}"
        case .objectId(let id): output += "{\"$oid\":\"\(id)\"}"
        case .bool(let flag): output += flag ? "true" : "false"
        case .date(let date):
            let milliseconds = date.millisecondsSince1970
            // 1970-01-01T00:00:00.000Z through 9999-12-31T23:59:59.999Z, as the specification says.
            if (0...253_402_300_799_999).contains(milliseconds) {
                output += "{\"$date\":\"\(RFC3339.millisecondsUTC(milliseconds))\"}"
            } else {
                output += "{\"$date\":{\"$numberLong\":\"\(milliseconds)\"}}"
            }
        case .null: output += "null"
        case .int32(let number): output += String(number)
        case .int64(let number):
            // A plain number in the int32 range would come back as an int32.
            output += Int32(exactly: number) == nil ? String(number) : "{\"$numberLong\":\"\(number)\"}"
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
        case .symbol(let text):
            output += "{\"$symbol\":"
            writeString(text, to: &output)
            output += "}"
        case .dbPointer(let ref, let id):
            output += "{\"$dbPointer\":{\"$ref\":"
            writeString(ref, to: &output)
            output += ",\"$id\":{\"$oid\":\"\(id)\"}}}"
        case .undefined: output += "{\"$undefined\":true}"
        case .document, .array, .javascriptWithScope:
            // format(_:) writes these itself; this keeps the switch total without a trap.
            output += format(value)
        }
    }

    /// The data of the old binary subtype (2), whose BSON bytes start with the data's length as
    /// an int32 that extended JSON leaves out; all the bytes when that length is wrong.
    private static func oldBinaryPayload(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        guard bytes.count >= 4 else { return bytes[...] }
        let length = bytes.withUnsafeBytes { Int(Int32(littleEndian: $0.loadUnaligned(as: Int32.self))) }
        return length == bytes.count - 4 ? bytes[4...] : bytes[...]
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
