/// A tokenizer as the compiler keeps it: a SentencePiece Unigram model plus what transformers'
/// `DebertaV2Tokenizer` adds around it (lower-casing, punctuation splitting, special tokens).
///
/// Readers (`SentencePieceModelReader`, `TokenizerJSONReader`, `TokenizerModel.load(path:)`)
/// build one and check it with `validate()`; `serialized()` turns it into the tokenizer blob of
/// docs/tokenizer.md and `init(blob:)` reads one back. Ids are piece indices: `pieces[i]` has
/// id `i`; special tokens may have ids at or beyond `pieces.count` (transformers' added tokens).
public struct TokenizerModel: Sendable, Equatable {
    /// SentencePiece's `ModelProto.SentencePiece.Type`, with its numbering (the blob stores the raw value).
    public enum PieceType: UInt8, Sendable {
        /// An ordinary piece, matched by the Viterbi search with its score.
        case normal = 1
        /// The one unknown piece (`unkId`).
        case unknown = 2
        /// Never produced from text by the model (`[CLS]`, `[SEP]`, `[PAD]`...).
        case control = 3
        /// Always kept whole, scored `length · maxScore − 0.1`.
        case userDefined = 4
        /// In the vocabulary but never matched.
        case unused = 5
        /// `<0xNN>`: one byte, produced only by byte fallback.
        case byte = 6
    }

    /// One vocabulary entry: its UTF-8 text (never empty), its log-probability score (finite) and type.
    public struct Piece: Sendable, Equatable {
        public var text: String
        public var score: Float
        public var type: PieceType

        /// A piece with its text, score and type.
        public init(text: String, score: Float, type: PieceType) {
            self.text = text
            self.score = score
            self.type = type
        }
    }

    /// A string that, typed in the text, is split out and becomes `id` (transformers' added and
    /// special tokens). `lstrip`/`rstrip` eat the white space on that side; `singleWord` matches
    /// only between word boundaries.
    public struct SpecialToken: Sendable, Equatable {
        public var text: String
        public var id: Int32
        public var lstrip: Bool
        public var rstrip: Bool
        public var singleWord: Bool
        /// Tokenizers semantics only: matched in the normalized text, and `text` is normalized
        /// (the tokenizers library's `AddedToken.normalized`).
        public var normalized: Bool

        /// A special token; the matching options default to false.
        public init(text: String, id: Int32, lstrip: Bool = false, rstrip: Bool = false, singleWord: Bool = false,
                    normalized: Bool = false) {
            self.text = text
            self.id = id
            self.lstrip = lstrip
            self.rstrip = rstrip
            self.singleWord = singleWord
            self.normalized = normalized
        }

        /// The blob's order: by text bytewise, then raw before normalized.
        func precedes(_ other: SpecialToken) -> Bool {
            text == other.text ? !normalized && other.normalized : text.utf8.lexicographicallyPrecedes(other.text.utf8)
        }
    }

    /// The tokenizers library's reading of a tokenizer.json (docs/tokenizer.md, "tokenizer.json
    /// folders") instead of sentencepiece's: which steps its normalizer has besides `Lowercase`
    /// (`doLowerCase`) and `Precompiled` (the charsmap), `Punctuation` being `splitByPunct` and
    /// Metaspace's `prepend_scheme` `addDummyPrefix`.
    public struct TokenizersPipeline: Sendable, Equatable {
        /// `Strip` on either side, with Rust's `char::is_whitespace`.
        public var stripLeft = false, stripRight = false
        /// `Strip` comes after `Precompiled` (else before it).
        public var stripAfterCharsmap = false
        /// `Replace(" {2,}", " ")`, after the other steps.
        public var collapseSpaces = false
        /// Metaspace's `split: false` (a pre-token is one word; the default splits before every '▁').
        public var metaspaceNoSplit = false

        /// A pipeline with no Strip and no Replace.
        public init() {}
    }

    /// The SentencePiece pieces, in id order.
    public var pieces: [Piece]
    /// SentencePiece's `precompiled_charsmap` verbatim (u32 LE trie size, Darts-clone trie,
    /// NUL-terminated targets); empty = identity normalization.
    public var precompiledCharsmap: [UInt8]
    /// SentencePiece normalizer flags (`NormalizerSpec`, `TrainerSpec.treat_whitespace_as_suffix`).
    public var addDummyPrefix: Bool, removeExtraWhitespaces: Bool, escapeWhitespaces: Bool, treatWhitespaceAsSuffix: Bool
    /// Unknown characters become their UTF-8 byte pieces; lower-case the text first; cut it at punctuation.
    public var byteFallback: Bool, doLowerCase: Bool, splitByPunct: Bool
    /// The ids of the UNKNOWN piece and of the `[CLS]`, `[SEP]` and `[PAD]` tokens, all below `vocabLimit`.
    public var unkId: Int32, clsId: Int32, sepId: Int32, padId: Int32
    /// Every special or added token typed text may contain, sorted by text (bytewise), texts unique.
    public var specialTokens: [SpecialToken]
    /// transformers' `model_max_length` when it is a positive Int32, else nil.
    public var modelMaxLength: Int32?
    /// The file(s) the model was read from, for messages.
    public var source: String
    /// Tokenizers semantics when set (tokenizer.json folders), sentencepiece + transformers when nil.
    public var tokenizersPipeline: TokenizersPipeline?
    /// A byte-level BPE model (DeBERTa v1) when set: `pieces` are its vocabulary in byte-to-unicode
    /// form (types NORMAL, scores 0), `addDummyPrefix` is ByteLevel's `add_prefix_space`, and the
    /// pair template is `[CLS] A [SEP] [SEP] B [SEP]`, all type ids 0. Needs `tokenizersPipeline`.
    public var byteLevelBPE: ByteLevelBPE?

    /// 1 + the largest id the tokenizer can produce (pieces and special tokens).
    public var vocabLimit: Int32 {
        var limit = Int32(clamping: pieces.count)
        for token in specialTokens where token.id >= limit { limit = token.id + 1 }
        return limit
    }

    /// A model from its parts; flags default to SentencePiece's and transformers' defaults. Call
    /// `validate()` (or `serialized()`, which does) before trusting it.
    public init(
        pieces: [Piece], precompiledCharsmap: [UInt8] = [],
        addDummyPrefix: Bool = true, removeExtraWhitespaces: Bool = true, escapeWhitespaces: Bool = true,
        treatWhitespaceAsSuffix: Bool = false, byteFallback: Bool = false, doLowerCase: Bool = false,
        splitByPunct: Bool = false, unkId: Int32, clsId: Int32, sepId: Int32, padId: Int32,
        specialTokens: [SpecialToken] = [], modelMaxLength: Int32? = nil, source: String
    ) {
        self.pieces = pieces
        self.precompiledCharsmap = precompiledCharsmap
        self.addDummyPrefix = addDummyPrefix
        self.removeExtraWhitespaces = removeExtraWhitespaces
        self.escapeWhitespaces = escapeWhitespaces
        self.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix
        self.byteFallback = byteFallback
        self.doLowerCase = doLowerCase
        self.splitByPunct = splitByPunct
        self.unkId = unkId
        self.clsId = clsId
        self.sepId = sepId
        self.padId = padId
        self.specialTokens = specialTokens
        self.modelMaxLength = modelMaxLength
        self.source = source
    }
}

extension TokenizerModel {
    /// Most pieces a model may have (2^22; DeBERTa-v3 has 128,000, multilingual mDeBERTa 250,000).
    public static let maximumPieces = 4_194_304
    /// Longest piece or special token, in UTF-8 bytes.
    public static let maximumPieceBytes = 1024
    /// Most special tokens (added tokens included).
    public static let maximumSpecialTokens = 1 << 20

    /// Whether a piece of this type takes part in the Viterbi search (the blob's matchable
    /// index): SentencePiece keeps NORMAL, USER_DEFINED and UNUSED pieces in one map.
    static func isMatchable(_ type: PieceType) -> Bool {
        type == .normal || type == .userDefined || type == .unused
    }

    /// `<0xNN>` with two uppercase hex digits: the byte it names, else nil (SentencePiece's `PieceToByte`).
    static func byteValue(ofPieceText text: String) -> UInt8? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 6, utf8[0] == UInt8(ascii: "<"), utf8[1] == UInt8(ascii: "0"), utf8[2] == UInt8(ascii: "x"),
              utf8[5] == UInt8(ascii: ">"), let high = upperHexDigit(utf8[3]), let low = upperHexDigit(utf8[4]) else { return nil }
        return high << 4 | low
    }

    private static func upperHexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Checks every invariant the blob format and the C encoder rely on, with SentencePiece's
    /// own rules (`ModelInterface::InitializePieces`): 1 to `maximumPieces` pieces, none empty
    /// or longer than `maximumPieceBytes`, finite scores; no text twice among the matchable
    /// pieces (nor twice among the others); exactly one UNKNOWN piece, at `unkId`; BYTE pieces
    /// only with `byteFallback`, named `<0xNN>`, and then all 256 of them; a valid charsmap;
    /// special tokens non-empty, sorted, unique, with ids in `0..<Int32.max`; `clsId`, `sepId`
    /// and `padId` below `vocabLimit`; `modelMaxLength` positive. Errors name `source`.
    public func validate() throws(TokenizerError) {
        try validate(checkingPieces: true, checkingCharsmap: true)
    }

    /// `validate()`, without the piece rules or the charsmap walk when the reader has just
    /// checked them (with better locations in its messages).
    func validate(checkingPieces: Bool, checkingCharsmap: Bool) throws(TokenizerError) {
        let fail = { (field: String, message: String) in TokenizerError.field(file: source, field: field, message: message) }
        if let byteLevelBPE {
            try validateByteLevelBPE(byteLevelBPE)
        } else if checkingPieces {
            try TokenizerModel.validatePieces(pieces, byteFallback: byteFallback, file: source, field: "pieces", offsetOf: nil)
        }
        guard byteLevelBPE != nil || (Int(unkId) >= 0 && Int(unkId) < pieces.count && pieces[Int(unkId)].type == .unknown) else {
            throw fail("unk_id", "is \(unkId), expected the id of the UNKNOWN piece")
        }
        if checkingCharsmap, !precompiledCharsmap.isEmpty {
            try PrecompiledCharsmap.validate(precompiledCharsmap, file: source, offset: nil)
        }
        guard specialTokens.count <= TokenizerModel.maximumSpecialTokens else {
            throw fail("special tokens", "has \(specialTokens.count) tokens, more than the limit of \(TokenizerModel.maximumSpecialTokens)")
        }
        for (index, token) in specialTokens.enumerated() {
            guard !token.text.isEmpty else { throw fail("special tokens", "token with id \(token.id) is empty") }
            guard token.text.utf8.count <= TokenizerModel.maximumPieceBytes else {
                throw fail("special tokens", "token with id \(token.id) has \(token.text.utf8.count) bytes, more than the limit of \(TokenizerModel.maximumPieceBytes)")
            }
            guard token.id >= 0, token.id < Int32.max else {
                throw fail("special tokens", "token \(quoted(token.text)) has id \(token.id), expected 0 to \(Int32.max - 1)")
            }
            if token.normalized, tokenizersPipeline == nil {
                throw fail("special tokens", "token \(quoted(token.text)) is normalized, which needs tokenizers semantics")
            }
            if index > 0, !specialTokens[index - 1].precedes(token) {
                throw fail("special tokens", "token \(quoted(token.text)) is listed twice or out of order, expected unique texts sorted bytewise")
            }
        }
        let limit = vocabLimit
        for (name, id) in [("cls_token", clsId), ("sep_token", sepId), ("unk_token", unkId)] where id < 0 || id >= limit {
            throw fail(name, "has id \(id), expected 0 to \(limit - 1)")
        }
        guard padId >= 0, padId < limit else {
            throw fail("pad_token", "has id \(padId), expected 0 to \(limit - 1)")
        }
        if let modelMaxLength, modelMaxLength <= 0 {
            throw fail("model_max_length", "is \(modelMaxLength), expected a positive number or none")
        }
    }

    /// The rules of a byte-level BPE model: 1 to `maximumPieces` pieces, each non-empty, NORMAL,
    /// score 0, at most `maximumPieceBytes`, no text twice; tokenizers semantics with no
    /// normalizer or Metaspace steps; merges of existing pieces, no pair twice, ranks increasing.
    private func validateByteLevelBPE(_ bpe: ByteLevelBPE) throws(TokenizerError) {
        let fail = { (field: String, message: String) in TokenizerError.field(file: source, field: field, message: message) }
        guard !pieces.isEmpty, pieces.count <= TokenizerModel.maximumPieces else {
            throw fail("vocab", "has \(pieces.count) tokens, expected 1 to \(TokenizerModel.maximumPieces)")
        }
        var seen = Set<String>()
        for (id, piece) in pieces.enumerated() {
            guard !piece.text.isEmpty, piece.text.utf8.count <= TokenizerModel.maximumPieceBytes else {
                throw fail("vocab", "token \(id) has \(piece.text.utf8.count) bytes, expected 1 to \(TokenizerModel.maximumPieceBytes)")
            }
            guard piece.type == .normal, piece.score == 0 else { throw fail("vocab", "token \(id) is not a plain BPE token") }
            guard seen.insert(piece.text).inserted else { throw fail("vocab", "token \(quoted(piece.text)) is listed twice") }
        }
        guard tokenizersPipeline == TokenizersPipeline(), precompiledCharsmap.isEmpty, !byteFallback, !doLowerCase, !splitByPunct,
              !removeExtraWhitespaces, !escapeWhitespaces, !treatWhitespaceAsSuffix else {
            throw fail("pre_tokenizer", "a byte-level BPE model has no normalizer and only the ByteLevel pre-tokenizer")
        }
        guard bpe.merges.count <= ByteLevelBPE.maximumMerges else {
            throw fail("merges", "has \(bpe.merges.count) merges, more than the limit of \(ByteLevelBPE.maximumMerges)")
        }
        var pairs = Set<Int64>()
        for (index, merge) in bpe.merges.enumerated() {
            for id in [merge.left, merge.right, merge.merged] where id < 0 || Int(id) >= pieces.count {
                throw fail("merges", "merge \(index) names token id \(id), expected 0 to \(pieces.count - 1)")
            }
            guard pairs.insert(Int64(merge.left) << 32 | Int64(merge.right)).inserted else {
                throw fail("merges", "merge \(index) repeats the pair (\(merge.left), \(merge.right))")
            }
            guard index == 0 || bpe.merges[index - 1].rank < merge.rank else { throw fail("merges", "merge \(index) is out of rank order") }
        }
    }

    /// The piece rules of `validate()`. A piece's error is at byte `offsetOf(id)` of `file`
    /// when the reader knows where pieces are, else about `field`.
    static func validatePieces(
        _ pieces: [Piece], byteFallback: Bool, file: String, field: String, offsetOf: ((Int) -> Int)?
    ) throws(TokenizerError) {
        let failList = { (message: String) in TokenizerError.field(file: file, field: field, message: message) }
        let failPiece = { (id: Int, message: String) -> TokenizerError in
            if let offsetOf { return .malformed(file: file, offset: offsetOf(id), message: message) }
            return .field(file: file, field: field, message: message)
        }
        guard !pieces.isEmpty else { throw failList("has no pieces, expected at least the unknown piece") }
        guard pieces.count <= TokenizerModel.maximumPieces else {
            throw failList("has \(pieces.count) pieces, more than the limit of \(TokenizerModel.maximumPieces)")
        }
        var matchable: [String: Int] = [:]
        var reserved: [String: Int] = [:]
        var unknown: Int?
        var bytesSeen = [Bool](repeating: false, count: 256)
        for (id, piece) in pieces.enumerated() {
            let length = piece.text.utf8.count
            guard length > 0 else { throw failPiece(id, "piece \(id) is empty") }
            guard length <= TokenizerModel.maximumPieceBytes else {
                throw failPiece(id, "piece \(id) has \(length) bytes, more than the limit of \(TokenizerModel.maximumPieceBytes)")
            }
            guard piece.score.isFinite else { throw failPiece(id, "piece \(id) \(quoted(piece.text)) has score \(piece.score), expected a finite number") }
            // SentencePiece keeps matchable pieces and the others (UNKNOWN, CONTROL, BYTE) in two
            // maps and rejects a text defined twice in one of them.
            let isMatchable = TokenizerModel.isMatchable(piece.type)
            if let other = isMatchable ? matchable[piece.text] : reserved[piece.text] {
                throw failPiece(id, "piece \(id) \(quoted(piece.text)) is already defined by piece \(other)")
            }
            if isMatchable { matchable[piece.text] = id } else { reserved[piece.text] = id }
            switch piece.type {
            case .unknown:
                if let first = unknown { throw failPiece(id, "pieces \(first) and \(id) are both of type UNKNOWN, expected exactly one") }
                unknown = id
            case .byte:
                guard byteFallback else {
                    throw failPiece(id, "piece \(id) \(quoted(piece.text)) is a BYTE piece but 'byte_fallback' is false")
                }
                guard let byte = TokenizerModel.byteValue(ofPieceText: piece.text) else {
                    throw failPiece(id, "BYTE piece \(id) is \(quoted(piece.text)), expected '<0xNN>' with two uppercase hex digits")
                }
                bytesSeen[Int(byte)] = true
            default:
                break
            }
        }
        guard unknown != nil else { throw failList("no piece has type UNKNOWN, expected exactly one") }
        if byteFallback, let missing = bytesSeen.firstIndex(of: false) {
            throw failList("'byte_fallback' is true but there is no BYTE piece '<0x\(hex2(UInt8(missing)))>', expected all 256")
        }
    }
}

/// Two uppercase hex digits.
func hex2(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
}
