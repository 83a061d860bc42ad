import DebertacFrontend

/// The text form of `debertac tokenize --input` and `debertac run --input`:
///
///     {"text": ["A man plays.", ...], "text_pair": ["A person plays.", ...], "max_length": 128}
///
/// `text_pair` (one per text, or null entries for single texts) and `max_length` are optional.
struct TextInput: Equatable {
    var texts: [String]
    var pairs: [String?]?
    var maxLength: Int?

    /// Whether a JSON input is text (it has a "text" member) rather than token ids.
    static func isText(_ document: JSONValue) -> Bool { document["text"] != nil }

    /// Parses and checks the structure; errors name the field and the row.
    init(json document: JSONValue) throws(TextInputError) {
        guard let members = document.objectValue else { throw TextInputError("the input is not a json object") }
        for member in members where !["text", "text_pair", "max_length"].contains(member.key) {
            throw TextInputError("'\(member.key)' is not a text input field, expected 'text', 'text_pair' or 'max_length'")
        }
        guard let rows = document["text"]?.arrayValue, !rows.isEmpty else {
            throw TextInputError("'text' must be a non-empty array of strings")
        }
        texts = []
        for (r, row) in rows.enumerated() {
            guard let text = row.stringValue else { throw TextInputError("'text' row \(r) is not a string") }
            texts.append(text)
        }
        if let value = document["text_pair"], value != .null {
            guard let pairRows = value.arrayValue, pairRows.count == texts.count else {
                throw TextInputError("'text_pair' must be an array with one entry per text (\(texts.count))")
            }
            var pairs: [String?] = []
            for (r, row) in pairRows.enumerated() {
                if row == .null { pairs.append(nil); continue }
                guard let pair = row.stringValue else { throw TextInputError("'text_pair' row \(r) is not a string or null") }
                pairs.append(pair)
            }
            self.pairs = pairs
        }
        if let value = document["max_length"], value != .null {
            guard let n = value.intValue, n > 0, n <= Int(Int32.max) else {
                throw TextInputError("'max_length' must be a positive integer")
            }
            maxLength = n
        }
    }
}

/// A text input that is not of the expected shape.
struct TextInputError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = "malformed text input: " + message }
}
