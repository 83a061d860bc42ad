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
/// The blob describes SentencePiece's pipeline, so the `tokenizers` library's own behaviour is
/// approximated where the two differ (they agree on most text; measured with transformers'
/// converted files: 22 of 112 hard texts differ for a lower-case + punctuation model):
/// - `Strip` (either side) and `Replace " {2,}"` both become `removeExtraWhitespaces`, applied
///   after the charsmap. `tokenizers` strips *before* the charsmap and with Unicode white space
///   (U+0085 too), so e.g. a trailing U+200E, which the charsmap turns into a space, gives it one
///   more "▁".
/// - `Precompiled` in `tokenizers` rewrites whole graphemes with the first matching rule; the
///   encoder applies the charsmap as SentencePiece does (longest match), e.g. 'ﾋﾟ' → 'ピ'.
/// - `Punctuation` and Metaspace's `split` (and `WhitespaceSplit`) cut the normalized text in
///   `tokenizers`; the encoder cuts at punctuation before normalizing ('…' stays one word) and runs
///   the Viterbi over whole words, which differs when a word ends in a space (`a > b`).
/// - The normalizers' order is not kept: lower-casing comes first, as in `DebertaV2Converter`.
/// - Added tokens with `normalized: true` (the converter's `[UNK]`) are matched in the normalized
///   text by `tokenizers` (so `[unk]` after Lowercase); the encoder matches every added token in
///   the raw text.
/// - Scores are f64 in `tokenizers`, f32 here (the spm values they came from).
/// - `prepend_scheme: "first"` (prefix only the first segment between added tokens) is refused:
///   the encoder prefixes every segment, as the slow tokenizer does.
struct TokenizerJSONPipeline {
    var precompiledCharsmap: [UInt8] = []
    var doLowerCase = false
    var removeExtraWhitespaces = false
    var addDummyPrefix = true
    var splitByPunct = false

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
            removeExtraWhitespaces = true
        case "Replace":
            let pattern = step["pattern"]?["Regex"]?.stringValue
            let content = step["content"]?.stringValue
            guard pattern == " {2,}", content == " " || content == "\u{2581}" else {
                throw unsupported(field, "normalizer 'Replace' of \((step["pattern"] ?? .null).serialized()) by \((step["content"] ?? .null).serialized()) is not supported, expected Regex ' {2,}' by ' '", file)
            }
            removeExtraWhitespaces = true
        default:
            throw unsupported(field, "normalizer \(quoted(type)) is not supported", file)
        }
    }

    private mutating func readMetaspace(_ step: JSONValue, field: String, file: String) throws(TokenizerError) {
        let replacement = step["replacement"]?.stringValue
        guard replacement == "\u{2581}" else {
            throw unsupported(field, "Metaspace replacement is \((step["replacement"] ?? .null).serialized()), expected '▁' (U+2581)", file)
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
