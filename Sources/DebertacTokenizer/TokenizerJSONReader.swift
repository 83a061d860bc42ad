import DebertacFrontend

/// Reads the `tokenizers` library's `tokenizer.json` when its model is `Unigram` (what
/// transformers' `DebertaV2Converter` writes for `DebertaV2TokenizerFast`), and maps it back
/// onto a SentencePiece model:
///
/// - `model`: `{"type": "Unigram", "vocab": [[piece, score], …], "unk_id", "byte_fallback"}`;
/// - `normalizer` and `pre_tokenizer`: see TokenizerJSONReader+Pipeline.swift;
/// - `added_tokens`: `[{id, content, special, lstrip, rstrip, single_word, normalized}]`, every
///   one a special token of the model (`tokenizers` splits all added tokens, special or not,
///   out of the text before normalizing it);
/// - `post_processor`: `TemplateProcessing` `[CLS] $A [SEP]` / `[CLS] $A [SEP] $B [SEP]` (or
///   `BertProcessing`) gives the `[CLS]` and `[SEP]` ids; the pad id is `padding.pad_id`, else
///   the id of `[PAD]` (an added token or a vocab entry);
/// - `truncation` and `decoder` are ignored; `model_max_length` comes from a tokenizer_config.json.
///
/// The model gets tokenizers semantics (`tokenizersPipeline`, docs/tokenizer.md "tokenizer.json
/// folders"): the encoder then runs the library's pipeline, in which every vocabulary entry is
/// matchable with its own score. Piece types are not in tokenizer.json; they are inferred for
/// tools and for the blob's byte table: the `unk_id` entry is UNKNOWN; a vocab entry that is also
/// a special added token (`[PAD]`, `[CLS]`, `[SEP]`) is CONTROL, since `tokenizers` only ever
/// produces it as an added token; a non-special added token in the vocabulary (the converter's
/// image of a USER_DEFINED piece) is USER_DEFINED; `<0xNN>` entries are BYTE when `byte_fallback`
/// is true (else NORMAL: `tokenizers` then matches them as text); everything else is NORMAL.
public enum TokenizerJSONReader {
    /// Largest tokenizer.json accepted (256 MiB; DeBERTa-v3's is 8 MB, mDeBERTa's 16 MB).
    public static let maximumFileBytes = 256 << 20

    /// Reads `path`, with `model_max_length` from `config`.
    public static func read(path: String, config: TokenizerConfig = TokenizerConfig()) throws(TokenizerError) -> TokenizerModel {
        try read(bytes: try readFileBytes(path: path, limit: maximumFileBytes), path: path, config: config)
    }

    /// Reads tokenizer.json text from `bytes`; `path` labels errors and becomes part of `source`.
    public static func read(bytes: [UInt8], path: String, config: TokenizerConfig = TokenizerConfig()) throws(TokenizerError) -> TokenizerModel {
        guard bytes.count <= maximumFileBytes else { throw TokenizerError.tooLarge(file: path, size: bytes.count, limit: maximumFileBytes) }
        return try read(json: try parseJSON(bytes, file: path), path: path, config: config)
    }

    /// Interprets a parsed tokenizer.json.
    public static func read(json: JSONValue, path: String, config: TokenizerConfig = TokenizerConfig()) throws(TokenizerError) -> TokenizerModel {
        let root = try FieldReader(json: json, file: path)
        guard let model = root.value("model") else { throw root.fail("model", "is missing, expected a Unigram model") }
        if model["type"]?.stringValue == "BPE" {
            // DeBERTa v1: transformers' DebertaTokenizer reads only the model's vocab and merges.
            var bpe = try ByteLevelBPEReader.read(tokenizerJSON: json, path: path, config: config)
            if !config.source.isEmpty { bpe.source = path + ", " + config.source }
            return bpe
        }
        let vocabulary = try UnigramVocabulary(model, file: path)
        let added = try addedTokens(root)
        let pipeline = try TokenizerJSONPipeline(normalizer: root.value("normalizer"), preTokenizer: root.value("pre_tokenizer"), file: path)

        var pieces = vocabulary.pieces
        for token in added where Int(token.id) < pieces.count {
            let piece = pieces[Int(token.id)]
            guard piece.text == token.text else {
                throw root.fail("added_tokens", "token \(quoted(token.text)) has id \(token.id), but vocab entry \(token.id) is \(quoted(piece.text))")
            }
            if Int(token.id) != vocabulary.unkId { pieces[Int(token.id)].type = token.special ? .control : .userDefined }
        }
        if vocabulary.byteFallback {
            for id in pieces.indices where pieces[id].type == .normal && TokenizerModel.byteValue(ofPieceText: pieces[id].text) != nil {
                pieces[id].type = .byte
            }
        }

        // Piece rules before anything that depends on them (the model is checked again as a whole below).
        try TokenizerModel.validatePieces(pieces, byteFallback: vocabulary.byteFallback, file: path, field: "model.vocab", offsetOf: nil)

        var specialTokens: [TokenizerModel.SpecialToken] = []
        var seen: [String: Int32] = [:]
        for token in added {
            if let other = seen[token.text] {
                throw root.fail("added_tokens", "\(quoted(token.text)) is listed twice (ids \(other) and \(token.id))")
            }
            seen[token.text] = token.id
            specialTokens.append(.init(text: token.text, id: token.id, lstrip: token.lstrip, rstrip: token.rstrip, singleWord: token.singleWord,
                                       normalized: token.normalized))
        }

        let lookup = { (text: String) -> Int32? in seen[text] ?? pieces.firstIndex { $0.text == text }.map { Int32($0) } }
        let (clsId, sepId) = try clsAndSep(root)
        guard let padId = try padding(root) ?? lookup("[PAD]") else {
            throw root.fail("padding", "is null and there is no '[PAD]' token, expected a pad token")
        }

        var result = TokenizerModel(
            pieces: pieces, precompiledCharsmap: pipeline.precompiledCharsmap, addDummyPrefix: pipeline.addDummyPrefix,
            removeExtraWhitespaces: pipeline.removeExtraWhitespaces, escapeWhitespaces: true, treatWhitespaceAsSuffix: false,
            byteFallback: vocabulary.byteFallback, doLowerCase: pipeline.doLowerCase, splitByPunct: pipeline.splitByPunct,
            unkId: Int32(vocabulary.unkId), clsId: clsId, sepId: sepId, padId: padId, specialTokens: [],
            modelMaxLength: config.modelMaxLength, source: config.source.isEmpty ? path : path + ", " + config.source)
        result.tokenizersPipeline = pipeline.tokenizers
        // `normalized` tokens are matched in the normalized text, so their strings are normalized
        // by the encoder's own normalizer (AddedVocabulary::refresh_added_tokens normalizes them).
        result.specialTokens = try result.normalizingAddedTokens(specialTokens)
        try result.validate(checkingPieces: false, checkingCharsmap: false)
        return result
    }

    /// Whether `bytes` start like a JSON object (after optional white space).
    public static func looksLikeJSON(_ bytes: [UInt8]) -> Bool {
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        return first == UInt8(ascii: "{")
    }

    struct AddedToken {
        var id: Int32
        var text: String
        var special: Bool
        var lstrip: Bool, rstrip: Bool, singleWord: Bool
        /// Matched in the normalized text (`AddedToken.normalized`, by default `!special`).
        var normalized: Bool
    }

    private static func addedTokens(_ root: FieldReader) throws(TokenizerError) -> [AddedToken] {
        guard let list = root.value("added_tokens") else { return [] }
        guard let elements = list.arrayValue else { throw root.fail("added_tokens", "is a \(list.kindName), expected a list") }
        guard elements.count <= TokenizerModel.maximumSpecialTokens else {
            throw root.fail("added_tokens", "has \(elements.count) tokens, more than the limit of \(TokenizerModel.maximumSpecialTokens)")
        }
        var tokens: [AddedToken] = []
        for (index, element) in elements.enumerated() {
            let field = "added_tokens[\(index)]"
            let token = try root.addedToken(element, field: field)
            guard let id = element["id"]?.intValue, id >= 0, id < Int(Int32.max) else {
                throw root.fail(field, "has no integer 'id' from 0 to \(Int32.max - 1)")
            }
            let special = token.special ?? false
            guard let normalized = element["normalized"].map({ $0 == .null ? !special : $0.boolValue }) ?? !special else {
                throw root.fail(field, "has 'normalized' that is not true or false")
            }
            tokens.append(AddedToken(id: Int32(id), text: token.content, special: special,
                                     lstrip: token.lstrip, rstrip: token.rstrip, singleWord: token.singleWord, normalized: normalized))
        }
        return tokens
    }

    /// The `[CLS]` and `[SEP]` ids of the post-processor, which must add exactly
    /// `[CLS] $A [SEP]` and `[CLS] $A [SEP] $B [SEP]` with type ids 0, 0, 0, 1, 1 (what the
    /// tokenizer blob's encoder does).
    private static func clsAndSep(_ root: FieldReader) throws(TokenizerError) -> (Int32, Int32) {
        let field = "post_processor"
        guard let processor = root.value(field) else {
            throw TokenizerError.unsupported(file: root.file, field: field, message: "is null, expected TemplateProcessing '[CLS] $A [SEP]' (debertac always adds [CLS] and [SEP])")
        }
        let type = processor["type"]?.stringValue ?? "(none)"
        switch type {
        case "TemplateProcessing":
            return try template(processor, root: root)
        case "BertProcessing":
            guard let cls = processor["cls"]?.arrayValue, cls.count == 2, let clsId = cls[1].intValue,
                  let sep = processor["sep"]?.arrayValue, sep.count == 2, let sepId = sep[1].intValue,
                  let c = Int32(exactly: clsId), let s = Int32(exactly: sepId) else {
                throw root.fail(field, "BertProcessing needs 'cls' and 'sep' as [token, id] pairs")
            }
            return (c, s)
        default:
            throw TokenizerError.unsupported(file: root.file, field: field, message: "post-processor \(quoted(type)) is not supported, expected TemplateProcessing")
        }
    }

    private static func template(_ processor: JSONValue, root: FieldReader) throws(TokenizerError) -> (Int32, Int32) {
        let field = "post_processor"
        /// A template item as (is special token, id or sequence name, type id).
        func items(_ name: String) throws(TokenizerError) -> [(special: Bool, id: String, typeId: Int)] {
            guard let list = processor[name]?.arrayValue else { throw root.fail("\(field).\(name)", "is missing, expected a template list") }
            var result: [(Bool, String, Int)] = []
            for item in list {
                if let special = item["SpecialToken"], let id = special["id"]?.stringValue, let typeId = special["type_id"]?.intValue {
                    result.append((true, id, typeId))
                } else if let sequence = item["Sequence"], let id = sequence["id"]?.stringValue, let typeId = sequence["type_id"]?.intValue {
                    result.append((false, id, typeId))
                } else {
                    throw root.fail("\(field).\(name)", "has an item \(item.serialized()), expected SpecialToken or Sequence")
                }
            }
            return result
        }
        let single = try items("single")
        let pair = try items("pair")
        let expected = { (message: String) in
            TokenizerError.unsupported(file: root.file, field: field, message: "\(message); expected single '[CLS]:0 $A:0 [SEP]:0' and pair '[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1' (the only template debertac's encoder applies)")
        }
        guard single.count == 3, single[0].special, !single[1].special, single[1].id == "A", single[2].special,
              single.allSatisfy({ $0.typeId == 0 }) else { throw expected("template 'single' differs") }
        let cls = single[0].id, sep = single[2].id
        guard pair.count == 5, pair[0].special, pair[0].id == cls, !pair[1].special, pair[1].id == "A", pair[2].special, pair[2].id == sep,
              !pair[3].special, pair[3].id == "B", pair[4].special, pair[4].id == sep,
              pair.map(\.typeId) == [0, 0, 0, 1, 1] else { throw expected("template 'pair' differs") }
        func id(of token: String) throws(TokenizerError) -> Int32 {
            guard let entry = processor["special_tokens"]?[token], let ids = entry["ids"]?.arrayValue, ids.count == 1,
                  let value = ids[0].intValue, let id = Int32(exactly: value) else {
                throw root.fail("\(field).special_tokens", "has no single id for \(quoted(token))")
            }
            return id
        }
        return (try id(of: cls), try id(of: sep))
    }

    /// `padding.pad_id` when padding is configured.
    private static func padding(_ root: FieldReader) throws(TokenizerError) -> Int32? {
        guard let padding = root.value("padding"), let value = padding["pad_id"] else { return nil }
        guard let id = value.intValue, let pad = Int32(exactly: id) else { throw root.fail("padding.pad_id", "is \(value.serialized()), expected a token id") }
        return pad
    }
}

/// The `model` of a tokenizer.json, which must be Unigram.
struct UnigramVocabulary {
    var pieces: [TokenizerModel.Piece]
    var unkId: Int
    var byteFallback: Bool

    init(_ model: JSONValue, file: String) throws(TokenizerError) {
        let reader = try FieldReader(json: model, file: file)
        let type = model["type"]?.stringValue
        guard type == "Unigram" else {
            throw TokenizerError.unsupported(file: file, field: "model.type", message: "is \(quoted(type ?? "(none)")), only 'Unigram' and 'BPE' models are supported")
        }
        guard let vocab = model["vocab"]?.arrayValue else { throw reader.fail("model.vocab", "is missing, expected a list of [piece, score] pairs") }
        guard vocab.count <= TokenizerModel.maximumPieces else {
            throw reader.fail("model.vocab", "has \(vocab.count) pieces, more than the limit of \(TokenizerModel.maximumPieces)")
        }
        pieces = []
        pieces.reserveCapacity(vocab.count)
        for (id, entry) in vocab.enumerated() {
            guard let pair = entry.arrayValue, pair.count == 2, let text = pair[0].stringValue, let score = pair[1].doubleValue else {
                throw reader.fail("model.vocab", "entry \(id) is \(entry.serialized()), expected [piece, score]")
            }
            let single = Float(score)
            guard single.isFinite else { throw reader.fail("model.vocab", "entry \(id) \(quoted(text)) has score \(score), expected a finite number") }
            pieces.append(.init(text: text, score: single, type: .normal))
        }
        guard let unk = reader.value("unk_id") else {
            throw TokenizerError.unsupported(file: file, field: "model.unk_id", message: "is null, expected the id of the unknown piece (SentencePiece models always have one)")
        }
        guard let id = unk.intValue, id >= 0, id < pieces.count else {
            throw reader.fail("model.unk_id", "is \(unk.serialized()), expected an id below \(pieces.count)")
        }
        unkId = id
        pieces[id].type = .unknown
        byteFallback = try reader.bool("byte_fallback") ?? false
    }
}
