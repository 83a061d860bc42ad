import DebertacFrontend

/// Reads a DeBERTa v1 tokenizer: GPT-2 byte-level BPE as transformers 5's `DebertaTokenizer`
/// builds it (models/deberta/tokenization_deberta.py), from `vocab.json` + `merges.txt` or from
/// a `tokenizer.json` whose model is `BPE`.
///
/// - `vocab.json`: `{"token": id}`, read as the tokenizers library's `BPE::read_file` reads it
///   (entries whose value is not a number are skipped, as the library does); ids must be
///   0..<n with no gaps and no id twice (debertac's pieces are indexed by id), keys unique.
/// - `merges.txt`: lines split on `\n` (a trailing `\r` dropped), `#version` lines skipped, every
///   other line exactly two tokens separated by one space (the library's `BadMerges` otherwise);
///   both tokens and their concatenation must be in the vocabulary
///   (`MergeTokenOutOfVocabulary`); a pair given twice keeps its last rank.
/// - `tokenizer.json`: `model.vocab` and `model.merges` (`"a b"` strings or `["a", "b"]` lists)
///   only: `DebertaTokenizer.__init__` rebuilds the normalizer (none), the pre-tokenizer
///   (ByteLevel with tokenizer_config.json's `add_prefix_space`), the model options (no unk, no
///   dropout) and the post-processor itself; the file's `added_tokens` are kept.
///
/// Special tokens come from tokenizer_config.json and friends as for spm.model
/// (`resolveSpecialTokens`: a token missing from the vocabulary gets the next id, `[MASK]` at
/// `len(vocab)` for a vocabulary without it). The template is `[CLS] A [SEP] [SEP] B [SEP]` with
/// every type id 0 (`pairDoubleSep`).
public enum ByteLevelBPEReader {
    /// Largest vocab.json or merges.txt accepted (64 MiB; GPT-2's are 1 MB and 456 KB).
    public static let maximumFileBytes = 64 << 20

    /// Reads `vocab.json` and `merges.txt` at these paths, with tokenizer_config.json's settings in `config`.
    public static func read(vocabPath: String, mergesPath: String, config: TokenizerConfig = TokenizerConfig()) throws(TokenizerError) -> TokenizerModel {
        let vocab = try readFileBytes(path: vocabPath, limit: maximumFileBytes)
        let merges = try readFileBytes(path: mergesPath, limit: maximumFileBytes)
        return try read(vocab: vocab, vocabPath: vocabPath, merges: merges, mergesPath: mergesPath, config: config)
    }

    /// Reads the two files' bytes; the paths label errors.
    public static func read(vocab: [UInt8], vocabPath: String, merges: [UInt8], mergesPath: String,
                            config: TokenizerConfig = TokenizerConfig()) throws(TokenizerError) -> TokenizerModel {
        let json = try parseJSON(vocab, file: vocabPath)
        let entries = try vocabulary(json, file: vocabPath, field: "(top level)")
        let pairs = try mergeLines(merges, file: mergesPath)
        return try makeModel(entries: entries, merges: pairs, vocabFile: vocabPath, mergesFile: mergesPath, config: config)
    }

    /// Reads a tokenizer.json whose model is `BPE`: the model's vocab and merges, and its
    /// `added_tokens`, which transformers keeps (as `added_tokens_decoder` entries after those of
    /// tokenizer_config.json; checked: an added `<extra>` at 600 is split out and pushes `[MASK]` to 601).
    static func read(tokenizerJSON root: JSONValue, path: String, config: TokenizerConfig) throws(TokenizerError) -> TokenizerModel {
        var config = config
        if let list = root["added_tokens"], list != .null {
            let reader = try FieldReader(json: root, file: path)
            guard let elements = list.arrayValue else { throw reader.fail("added_tokens", "is a \(list.kindName), expected a list") }
            guard elements.count <= TokenizerModel.maximumSpecialTokens else {
                throw reader.fail("added_tokens", "has \(elements.count) tokens, more than the limit of \(TokenizerModel.maximumSpecialTokens)")
            }
            var decoder = config.addedTokensDecoder ?? []
            var ids = Set(decoder.map(\.id))
            for (index, element) in elements.enumerated() {
                let token = try reader.addedToken(element, field: "added_tokens[\(index)]")
                guard let id = element["id"]?.intValue, id >= 0, id < Int(Int32.max) else {
                    throw reader.fail("added_tokens[\(index)]", "has no integer 'id' from 0 to \(Int32.max - 1)")
                }
                if ids.insert(Int32(id)).inserted { decoder.append(.init(id: Int32(id), token: token)) }
            }
            config.addedTokensDecoder = decoder
        }
        guard let model = root["model"] else { throw TokenizerError.field(file: path, field: "model", message: "is missing") }
        return try read(tokenizerJSONModel: model, path: path, config: config)
    }

    /// Reads the `model` of a tokenizer.json whose type is `BPE`.
    static func read(tokenizerJSONModel model: JSONValue, path: String, config: TokenizerConfig) throws(TokenizerError) -> TokenizerModel {
        guard let vocab = model["vocab"] else { throw TokenizerError.field(file: path, field: "model.vocab", message: "is missing, expected an object") }
        let entries = try vocabulary(vocab, file: path, field: "model.vocab")
        guard let list = model["merges"]?.arrayValue else {
            throw TokenizerError.field(file: path, field: "model.merges", message: "is missing or not a list, expected the merges")
        }
        guard list.count <= ByteLevelBPE.maximumMerges else {
            throw TokenizerError.field(file: path, field: "model.merges", message: "has \(list.count) merges, more than the limit of \(ByteLevelBPE.maximumMerges)")
        }
        var pairs: [(String, String, String)] = []
        for (index, item) in list.enumerated() {
            let parts: [String]?
            if let text = item.stringValue {
                // Python's str.split(" ") on code points (a Swift Character may hold a space and a mark).
                parts = text.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false).map { String(String.UnicodeScalarView($0)) }
            } else if let array = item.arrayValue {
                let strings = array.compactMap(\.stringValue)
                parts = strings.count == array.count ? strings : nil
            } else {
                parts = nil
            }
            guard let parts, parts.count == 2 else {
                throw TokenizerError.field(file: path, field: "model.merges[\(index)]", message: "is not two tokens ('a b' or [\"a\", \"b\"])")
            }
            pairs.append((parts[0], parts[1], "model.merges[\(index)]"))
        }
        return try makeModel(entries: entries, merges: pairs, vocabFile: path, mergesFile: path, config: config)
    }

    /// `{token: id}` entries with numeric values, in file order.
    private static func vocabulary(_ json: JSONValue, file: String, field: String) throws(TokenizerError) -> [(String, Int)] {
        guard case let .object(members) = json else {
            throw TokenizerError.field(file: file, field: field, message: "is a \(json.kindName), expected an object of token ids")
        }
        guard members.count <= TokenizerModel.maximumPieces else {
            throw TokenizerError.field(file: file, field: field, message: "has \(members.count) entries, more than the limit of \(TokenizerModel.maximumPieces)")
        }
        var entries: [(String, Int)] = []
        for (key, value) in members {
            switch value {
            case let .int(id):
                guard id >= 0, id < TokenizerModel.maximumPieces else {
                    throw TokenizerError.field(file: file, field: field, message: "token \(quoted(key)) has id \(id), expected 0 to \(TokenizerModel.maximumPieces - 1)")
                }
                entries.append((key, id))
            case .double:
                throw TokenizerError.field(file: file, field: field, message: "token \(quoted(key)) has an id that is not an integer")
            default:
                continue // BPE::read_file keeps only numbers
            }
        }
        return entries
    }

    /// merges.txt as `BPE::read_file` reads it: (left, right, where) per merge line.
    private static func mergeLines(_ bytes: [UInt8], file: String) throws(TokenizerError) -> [(String, String, String)] {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw TokenizerError.malformed(file: file, offset: firstInvalidUTF8(bytes), message: "merges file is not valid UTF-8")
        }
        // Bytes, not Characters: Swift joins "\r\n", and a space with a following combining mark,
        // into one Character, where Rust's lines() and split(' ') see two.
        var pairs: [(String, String, String)] = []
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() } // Rust's lines() yields no empty last line
        for (number, rawLine) in lines.enumerated() {
            let line = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
            if line.starts(with: Array("#version".utf8)) { continue }
            let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw TokenizerError.field(file: file, field: "line \(number + 1)", message: "is not two tokens separated by one space")
            }
            guard pairs.count < ByteLevelBPE.maximumMerges else {
                throw TokenizerError.field(file: file, field: "line \(number + 1)", message: "more than \(ByteLevelBPE.maximumMerges) merges")
            }
            pairs.append((String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self), "line \(number + 1)"))
        }
        return pairs
    }

    /// Offset of the line holding the first byte that is not valid UTF-8.
    private static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int {
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            if String(validating: bytes[start..<index], as: UTF8.self) == nil { return start }
            start = index + 1
        }
        return start
    }

    /// Pieces, merges and special tokens into a model with tokenizers semantics and the BPE kind.
    private static func makeModel(entries: [(String, Int)], merges pairs: [(String, String, String)], vocabFile: String, mergesFile: String,
                              config: TokenizerConfig) throws(TokenizerError) -> TokenizerModel {
        var texts = [String?](repeating: nil, count: entries.count)
        var ids: [String: Int32] = [:]
        for (text, id) in entries {
            guard ids[text] == nil else {
                throw TokenizerError.field(file: vocabFile, field: "vocab", message: "token \(quoted(text)) is listed twice")
            }
            guard id < texts.count else {
                throw TokenizerError.field(file: vocabFile, field: "vocab", message: "token \(quoted(text)) has id \(id), expected ids 0 to \(texts.count - 1) without gaps")
            }
            if let other = texts[id] {
                throw TokenizerError.field(file: vocabFile, field: "vocab", message: "tokens \(quoted(other)) and \(quoted(text)) both have id \(id)")
            }
            texts[id] = text
            ids[text] = Int32(id)
        }
        guard !texts.isEmpty else { throw TokenizerError.field(file: vocabFile, field: "vocab", message: "is empty, expected the tokens") }
        var merges: [ByteLevelBPE.Merge] = []
        var rankOf: [Int64: Int] = [:]
        for (rank, (left, right, field)) in pairs.enumerated() {
            for token in [left, right, left + right] where ids[token] == nil {
                throw TokenizerError.field(file: mergesFile, field: field, message: "merges into or from \(quoted(token)), which is not in the vocabulary")
            }
            let merge = ByteLevelBPE.Merge(left: ids[left]!, right: ids[right]!, merged: ids[left + right]!, rank: UInt32(rank))
            let key = Int64(merge.left) << 32 | Int64(merge.right)
            if let earlier = rankOf[key] { merges[earlier].rank = UInt32.max } // superseded: the later rank wins
            rankOf[key] = merges.count
            merges.append(merge)
        }
        merges.removeAll { $0.rank == UInt32.max }
        let pieces = texts.map { TokenizerModel.Piece(text: $0!, score: 0, type: .normal) }
        let resolved = try config.resolveSpecialTokens(vocabulary: ids, file: config.source.isEmpty ? vocabFile : config.source)
        let unkContent = config.token(.unk)?.content ?? ""
        let unkId = resolved.tokens.first { $0.text == unkContent }?.id ?? resolved.padId
        var source = vocabFile == mergesFile ? vocabFile : vocabFile + ", " + mergesFile
        if !config.source.isEmpty { source += ", " + config.source }
        var result = TokenizerModel(
            pieces: pieces, addDummyPrefix: config.addPrefixSpace, removeExtraWhitespaces: false, escapeWhitespaces: false,
            unkId: unkId, clsId: resolved.clsId, sepId: resolved.sepId, padId: resolved.padId, specialTokens: resolved.tokens,
            modelMaxLength: config.modelMaxLength, source: source)
        result.tokenizersPipeline = TokenizerModel.TokenizersPipeline()
        result.byteLevelBPE = ByteLevelBPE(merges: merges)
        try result.validate()
        return result
    }
}
