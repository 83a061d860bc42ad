/// Everything that can go wrong while reading a tokenizer (`spm.model`, `tokenizer.json`,
/// `tokenizer_config.json` and friends) or a tokenizer blob.
///
/// Each case carries what a user needs to find the problem: the file, the byte offset or the
/// JSON field, and a lowercase message that names the thing in quotes and says what was
/// expected. `description` is the message the CLI prints after `error: `.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened, mapped or listed.
    case io(file: String, message: String)
    /// The path names neither a tokenizer file nor a folder.
    case notFound(path: String, message: String)
    /// The file's first bytes are neither a SentencePiece model (protobuf) nor a JSON object.
    case unknownFormat(file: String)
    /// The file is larger than the reader accepts (see the readers' limits).
    case tooLarge(file: String, size: Int, limit: Int)
    /// The file ends before a structure that it announces.
    case truncated(file: String, offset: Int, what: String)
    /// A structural rule of the format is violated at `offset` (protobuf, charsmap, blob).
    case malformed(file: String, offset: Int, message: String)
    /// Invalid JSON at `offset`.
    case json(file: String, offset: Int, message: String)
    /// A JSON field, or a protobuf field named by its path, has a value we cannot use.
    case field(file: String, field: String, message: String)
    /// The file is well-formed but asks for something the tokenizer blob cannot express
    /// (a BPE model, an NFD normalizer, ...).
    case unsupported(file: String, field: String, message: String)

    /// The message, `'file': …`, lowercase.
    public var description: String {
        switch self {
        case let .io(file, message):
            "\(quoted(file)): \(message)"
        case let .notFound(path, message):
            "\(quoted(path)): \(message)"
        case let .unknownFormat(file):
            "\(quoted(file)): not a tokenizer (expected a SentencePiece model or a tokenizer.json object)"
        case let .tooLarge(file, size, limit):
            "\(quoted(file)): file has \(size) bytes, more than the \(limit)-byte limit for a tokenizer"
        case let .truncated(file, offset, what):
            "\(quoted(file)): truncated at byte \(offset): \(what)"
        case let .malformed(file, offset, message):
            "\(quoted(file)): at byte \(offset): \(message)"
        case let .json(file, offset, message):
            "\(quoted(file)): invalid JSON at byte \(offset): \(message)"
        case let .field(file, field, message):
            "\(quoted(file)): field \(quoted(field)): \(message)"
        case let .unsupported(file, field, message):
            "\(quoted(file)): field \(quoted(field)): \(message)"
        }
    }
}

/// `'text'`, the quoting style of every debertac message.
func quoted(_ text: String) -> String { "'\(text)'" }
