import DebertacFrontend

/// The `normalizer` and `pre_tokenizer` of a tokenizer.json, mapped onto SentencePiece's
/// normalizer flags and transformers' `do_lower_case` / `split_by_punct`.
///
/// Accepted, as transformers' converters write them (`DebertaV2Converter`, `SpmConverter`):
///
/// | tokenizer.json | becomes |
/// | --- | --- |
/// | normalizer `Precompiled` {precompiled_charsmap: base64} | the charsmap |
/// | normalizer `Lowercase` | `doLowerCase` |
/// | normalizer `Replace` {Regex " {2,}"} → " " or "▁", and/or `Strip` | `removeExtraWhitespaces` |
/// | pre-tokenizer `Metaspace` {replacement "▁", prepend_scheme "always"/"never" or add_prefix_space} | `escapeWhitespaces`, `addDummyPrefix` |
/// | pre-tokenizer `Punctuation` {behavior Isolated}, before Metaspace | `splitByPunct` |
/// | pre-tokenizer `WhitespaceSplit` | nothing (see below) |
///
/// each possibly inside (nested) `Sequence`s. Everything else is an error naming it.
///
/// The encoder runs these under tokenizers semantics (`tokenizers`, docs/tokenizer.md,
/// "tokenizer.json folders"), in the library's order: `Lowercase` must come first, `Strip` may come
/// before or after `Precompiled`, `Replace` last; Metaspace's `split` (default true) is kept. The SentencePiece flags are kept as well (`removeExtraWhitespaces`
/// for Strip/Replace), for tools that print them.
/// - `prepend_scheme: "first"` (prefix only the first segment between added tokens) is refused.
struct TokenizerJSONPipeline {
    var precompiledCharsmap: [UInt8] = []
    var doLowerCase = false
    var removeExtraWhitespaces = false
    var addDummyPrefix = true
    var splitByPunct = false
    /// Strip and Replace, as the encoder runs them.
    var tokenizers = TokenizerModel.TokenizersPipeline()
    /// Normalizer steps seen so far, to check their order.
    private var seenNormalizers: [String] = []

    /// Reads both (null `normalizer` is accepted; null `pre_tokenizer` is not, the Unigram
    /// pieces need Metaspace's "▁").
    init(normalizer: JSONValue?, preTokenizer: JSONValue?, file: String) throws(TokenizerError) {
        if let normalizer {
            for (path, step) in try Self.flatten(normalizer, field: "normalizer", listKey: "normalizers", file: file) {
                try readNormalizer(step, field: path, file: file)
            }
        }
        guard let preTokenizer else {
            throw TokenizerError.unsupported(file: file, field: "pre_tokenizer", message: "is null, expected Metaspace with replacement '▁'")
        }
        var sawMetaspace = false
        for (path, step) in try Self.flatten(preTokenizer, field: "pre_tokenizer", listKey: "pretokenizers", file: file) {
            let type = step["type"]?.stringValue ?? "(none)"
            switch type {
            case "Metaspace":
                guard !sawMetaspace else { throw unsupported(path, "has a second Metaspace", file) }
                sawMetaspace = true
                try readMetaspace(step, field: path, file: file)
            case "Punctuation":
                guard !sawMetaspace else {
                    throw unsupported(path, "Punctuation after Metaspace is not supported, expected it before (as DebertaV2Converter writes it)", file)
                }
                let behavior = step["behavior"]?.stringValue ?? "Isolated"
                guard behavior.lowercased() == "isolated" else {
                    throw unsupported(path, "Punctuation behavior \(quoted(behavior)) is not supported, expected 'Isolated'", file)
                }
                splitByPunct = true
            case "WhitespaceSplit":
                break
            default:
                throw unsupported(path, "pre-tokenizer \(quoted(type)) is not supported", file)
            }
        }
        guard sawMetaspace else { throw unsupported("pre_tokenizer", "has no Metaspace, expected one with replacement '▁'", file) }
    }

    private func unsupported(_ field: String, _ message: String, _ file: String) -> TokenizerError {
        .unsupported(file: file, field: field, message: message)
    }

    /// The steps of a normalizer or pre-tokenizer, with `Sequence`s flattened, each with its
    /// field path for messages (`normalizer.normalizers[2]`).
    private static func flatten(_ value: JSONValue, field: String, listKey: String, file: String) throws(TokenizerError) -> [(String, JSONValue)] {
        guard value.objectValue != nil else { throw TokenizerError.field(file: file, field: field, message: "is a \(value.kindName), expected an object") }
        guard value["type"]?.stringValue == "Sequence" else { return [(field, value)] }
        guard let list = value[listKey]?.arrayValue else {
            throw TokenizerError.field(file: file, field: field, message: "Sequence has no '\(listKey)' list")
        }
        var steps: [(String, JSONValue)] = []
        for (index, element) in list.enumerated() {
            steps += try flatten(element, field: "\(field).\(listKey)[\(index)]", listKey: listKey, file: file)
        }
        return steps
    }

    private mutating func readNormalizer(_ step: JSONValue, field: String, file: String) throws(TokenizerError) {
        let type = step["type"]?.stringValue ?? "(none)"
        defer { seenNormalizers.append(type) }
        if type == "Lowercase", !seenNormalizers.isEmpty {
            throw unsupported(field, "Lowercase after \(seenNormalizers.joined(separator: ", ")) is not supported, expected it first (as DebertaV2Converter writes it)", file)
        }
        if seenNormalizers.contains("Replace") {
            throw unsupported(field, "normalizer \(quoted(type)) after Replace is not supported, expected Replace last", file)
        }
        switch type {
        case "Precompiled":
            guard precompiledCharsmap.isEmpty else { throw unsupported(field, "has a second Precompiled normalizer", file) }
            guard let text = step["precompiled_charsmap"]?.stringValue else {
                throw TokenizerError.field(file: file, field: field, message: "Precompiled has no string 'precompiled_charsmap'")
            }
            do {
                precompiledCharsmap = try Base64.decode(text)
            } catch {
                throw TokenizerError.field(file: file, field: "\(field).precompiled_charsmap", message: "invalid base64 at character \(error.index): \(error.message)")
            }
            if !precompiledCharsmap.isEmpty {
                try PrecompiledCharsmap.validate(precompiledCharsmap, file: file, offset: nil, field: "\(field).precompiled_charsmap")
            }
        case "Lowercase":
            doLowerCase = true
        case "Strip":
            guard !seenNormalizers.contains("Strip") else { throw unsupported(field, "has a second Strip normalizer", file) }
            removeExtraWhitespaces = true
            let reader = try FieldReader(json: step, file: file)
            tokenizers.stripLeft = try reader.bool("strip_left") ?? true
            tokenizers.stripRight = try reader.bool("strip_right") ?? true
            tokenizers.stripAfterCharsmap = seenNormalizers.contains("Precompiled")
        case "Replace":
            let pattern = step["pattern"]?["Regex"]?.stringValue
            let content = step["content"]?.stringValue
            guard pattern == " {2,}", content == " " || content == "\u{2581}" else {
                throw unsupported(field, "normalizer 'Replace' of \((step["pattern"] ?? .null).serialized()) by \((step["content"] ?? .null).serialized()) is not supported, expected Regex ' {2,}' by ' '", file)
            }
            removeExtraWhitespaces = true
            tokenizers.collapseSpaces = true
        default:
            throw unsupported(field, "normalizer \(quoted(type)) is not supported", file)
        }
    }

    private mutating func readMetaspace(_ step: JSONValue, field: String, file: String) throws(TokenizerError) {
        let replacement = step["replacement"]?.stringValue
        guard replacement == "\u{2581}" else {
            throw unsupported(field, "Metaspace replacement is \((step["replacement"] ?? .null).serialized()), expected '▁' (U+2581)", file)
        }
        if let split = step["split"], split != .null {
            guard let flag = split.boolValue else {
                throw TokenizerError.field(file: file, field: "\(field).split", message: "is a \(split.kindName), expected true or false")
            }
            tokenizers.metaspaceNoSplit = !flag
        }
        if let scheme = step["prepend_scheme"], scheme != .null {
            switch scheme.stringValue {
            case "always": addDummyPrefix = true
            case "never": addDummyPrefix = false
            case "first":
                throw unsupported(field, "Metaspace prepend_scheme 'first' is not supported, expected 'always' or 'never' (debertac prefixes every segment between special tokens, as the slow tokenizer)", file)
            default:
                throw TokenizerError.field(file: file, field: "\(field).prepend_scheme", message: "is \(scheme.serialized()), expected 'always', 'first' or 'never'")
            }
        } else if let legacy = step["add_prefix_space"], legacy != .null {
            guard let flag = legacy.boolValue else {
                throw TokenizerError.field(file: file, field: "\(field).add_prefix_space", message: "is a \(legacy.kindName), expected true or false")
            }
            addDummyPrefix = flag
        }
    }
}
