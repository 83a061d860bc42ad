import DebertacFrontend

/// The JSON form of an inference input, as `debertac run --input` reads it:
///
///     {"input_ids": [[1, 85, 95, 2]], "attention_mask": [[1, 1, 1, 1]], "token_type_ids": [[0, 0, 0, 0]]}
///
/// `attention_mask` and `token_type_ids` are optional (null counts as absent) and default
/// as in `InferenceInput.init`. Entries must be integers (no fraction or exponent) that
/// fit in 32 bits; other fields are rejected, so that a misspelt `attention_masks` is not
/// silently ignored. Only the structure is checked here: run `validate(config:)` next.
extension InferenceInput {
    /// Parses UTF-8 JSON text.
    public static func parse(json bytes: [UInt8]) throws(InterpreterError) -> InferenceInput {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw .invalidJSON(offset: error.offset, message: error.message)
        }
        guard let members = document.objectValue else {
            throw .malformedInput(field: "", row: nil, column: nil, message: "is \(article(document)), expected a json object")
        }
        let known = fieldNames.map { "'\($0)'" }
        for member in members where !fieldNames.contains(member.key) {
            throw .malformedInput(field: member.key, row: nil, column: nil,
                                  message: "is not an input field, expected \(known.dropLast().joined(separator: ", ")) or \(known.last!)")
        }
        guard let ids = try rows(document, "input_ids") else {
            throw .malformedInput(field: "input_ids", row: nil, column: nil, message: "is missing")
        }
        return InferenceInput(inputIds: ids, attentionMask: try rows(document, "attention_mask"),
                              tokenTypeIds: try rows(document, "token_type_ids"))
    }

    /// The `[[int]]` member `field` of `document`, or nil when absent or null.
    private static func rows(_ document: JSONValue, _ field: String) throws(InterpreterError) -> [[Int32]]? {
        guard let value = document[field], value != .null else { return nil }
        guard let rows = value.arrayValue else {
            throw .malformedInput(field: field, row: nil, column: nil, message: "is \(article(value)), expected an array of rows")
        }
        var result: [[Int32]] = []
        for (r, row) in rows.enumerated() {
            guard let entries = row.arrayValue else {
                throw .malformedInput(field: field, row: r, column: nil, message: "is \(article(row)), expected an array of integers")
            }
            var values: [Int32] = []
            for (c, entry) in entries.enumerated() {
                guard case let .int(n) = entry else {
                    let found = entry.kindName == "number" ? entry.serialized() : article(entry)
                    throw .malformedInput(field: field, row: r, column: c, message: "is \(found), expected an integer")
                }
                guard let n32 = Int32(exactly: n) else {
                    throw .malformedInput(field: field, row: r, column: c, message: "is \(n), expected a 32-bit integer")
                }
                values.append(n32)
            }
            result.append(values)
        }
        return result
    }

    /// `an object`, `a string`, `null`, ... for messages.
    private static func article(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .array, .object: "an \(value.kindName)"
        default: "a \(value.kindName)"
        }
    }
}
