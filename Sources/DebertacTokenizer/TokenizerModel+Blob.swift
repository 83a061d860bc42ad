/// The tokenizer blob (docs/tokenizer.md, "The tokenizer blob (format 1)"): what
/// `debertac compile` links into a `.so` and the C encoder's `dtok_open` reads.
///
/// A 144-byte header (64 bytes of fields, then the table of 10 × (u32 offset, u32 size)), then
/// the 10 sections in table order, each at the next multiple of 8, zero-padded. Little-endian.
enum TokenizerBlob {
    static let magic: [UInt8] = Array("debertok".utf8)
    static let version: UInt32 = 1
    static let sectionCount = 10
    /// Where the section table starts.
    static let tableOffset = 64
    /// The fields and the section table. (docs/tokenizer.md says "128-byte header", but its
    /// table of 10 sections at byte 64 ends at 144; sections start at 144 or later.)
    static let headerSize = tableOffset + 8 * sectionCount
    /// A special token or lowercase entry: (i32 id or u32 code point, u32 flags, u32 offset,
    /// u32 length), the C encoder's `dtok_entry`. Lowercase entries have flags 0.
    static let entrySize = 16

    /// Header flag bits.
    enum Flag: UInt32 {
        case addDummyPrefix = 1, removeExtraWhitespaces = 2, escapeWhitespaces = 4, treatWhitespaceAsSuffix = 8
        case byteFallback = 16, doLowerCase = 32, splitByPunct = 64
        /// Tokenizers semantics, and the steps of its normalizer (only with it).
        case tokenizersSemantics = 128, stripLeft = 256, stripRight = 512, collapseSpaces = 1024, stripAfterCharsmap = 2048
        case metaspaceNoSplit = 4096
        /// A byte-level BPE model (with tokenizers semantics), and DebertaTokenizer's pair template.
        case byteLevelBPE = 8192, pairDoubleSep = 16384
    }

    /// Special-token flag bits.
    enum TokenFlag: UInt32 {
        case lstrip = 1, rstrip = 2, singleWord = 4, normalized = 8
    }

    /// SentencePiece's unigram `Model` constructor starts `max_score_` at C's FLT_MIN.
    static let initialMaxScore = Float.leastNormalMagnitude
    /// … and `min_score_` at FLT_MAX.
    static let initialMinScore = Float.greatestFiniteMagnitude
}

extension TokenizerModel {
    /// The tokenizer blob of this model (docs/tokenizer.md). Validates the model first
    /// (`validate()`); fails when the blob would exceed 4 GiB (u32 offsets).
    public func serialized() throws(TokenizerError) -> [UInt8] {
        try validate()
        var flags: UInt32 = 0
        for (isSet, flag) in [
            (addDummyPrefix, TokenizerBlob.Flag.addDummyPrefix), (removeExtraWhitespaces, .removeExtraWhitespaces),
            (escapeWhitespaces, .escapeWhitespaces), (treatWhitespaceAsSuffix, .treatWhitespaceAsSuffix),
            (byteFallback, .byteFallback), (doLowerCase, .doLowerCase), (splitByPunct, .splitByPunct),
        ] where isSet { flags |= flag.rawValue }
        if let pipeline = tokenizersPipeline {
            for (isSet, flag) in [
                (true, TokenizerBlob.Flag.tokenizersSemantics), (pipeline.stripLeft, .stripLeft), (pipeline.stripRight, .stripRight),
                (pipeline.collapseSpaces, .collapseSpaces), (pipeline.stripAfterCharsmap, .stripAfterCharsmap),
                (pipeline.metaspaceNoSplit, .metaspaceNoSplit),
            ] where isSet { flags |= flag.rawValue }
        }
        if byteLevelBPE != nil { flags |= TokenizerBlob.Flag.byteLevelBPE.rawValue | TokenizerBlob.Flag.pairDoubleSep.rawValue }

        let sections = blobSections()
        var out = BlobWriter()
        out.bytes.reserveCapacity(TokenizerBlob.headerSize + sections.reduce(0) { $0 + $1.count + 7 })
        out.append(TokenizerBlob.magic)
        out.u32(TokenizerBlob.version)
        out.u32(flags)
        out.u32(UInt32(pieces.count))
        for id in [unkId, clsId, sepId, padId] { out.i32(id) }
        out.u32(UInt32(vocabLimit))
        let (minScore, maxScore) = scoreRange
        out.f32(minScore)
        out.f32(maxScore)
        out.u32(UInt32(maxMatchablePieceBytes))
        out.u32(0)
        out.u32(modelMaxLength.map { UInt32($0) } ?? 0)
        out.u32(UInt32(TokenizerBlob.sectionCount))
        var offset = TokenizerBlob.headerSize
        var table: [(Int, Int)] = []
        for section in sections {
            table.append((offset, section.count))
            offset = (offset + section.count + 7) & ~7
        }
        guard offset <= Int(UInt32.max) else {
            throw TokenizerError.field(file: source, field: "pieces", message: "the tokenizer blob would have \(offset) bytes, more than 4 GiB")
        }
        for (sectionOffset, size) in table {
            out.u32(UInt32(sectionOffset))
            out.u32(UInt32(size))
        }
        for section in sections {
            out.append(section)
            out.padToMultipleOf8()
        }
        return out.bytes
    }

    /// min and max score over NORMAL pieces, from FLT_MAX and FLT_MIN (SentencePiece's unigram
    /// `Model`); under tokenizers semantics over every piece (unigram/model.rs, `Unigram::from`).
    var scoreRange: (min: Float, max: Float) {
        var minScore = TokenizerBlob.initialMinScore, maxScore = TokenizerBlob.initialMaxScore
        for piece in pieces where piece.type == .normal || tokenizersPipeline != nil {
            minScore = Swift.min(minScore, piece.score)
            maxScore = Swift.max(maxScore, piece.score)
        }
        return (minScore, maxScore)
    }

    /// Bytes of the longest matchable piece (0 when there is none).
    var maxMatchablePieceBytes: Int {
        matchableIndex.lazy.map { self.pieces[Int($0)].text.utf8.count }.max() ?? 0
    }

    /// Ids of the matchable pieces, sorted by their UTF-8 bytes (a prefix before its extensions):
    /// NORMAL, USER_DEFINED and UNUSED pieces; under tokenizers semantics every piece, the last id
    /// of a text given twice (the library's `token_to_ids` map keeps the last).
    var matchableIndex: [UInt32] {
        let utf8 = pieces.map { Array($0.text.utf8) }
        if byteLevelBPE != nil { return [] } // BPE finds ids through the byte pieces and merges
        var ids = pieces.indices.filter { tokenizersPipeline != nil || TokenizerModel.isMatchable(pieces[$0].type) }
        if tokenizersPipeline != nil {
            var last: [String: Int] = [:]
            for id in ids { last[pieces[id].text] = id }
            ids = ids.filter { last[pieces[$0].text] == $0 }
        }
        return ids.sorted { utf8[$0].lexicographicallyPrecedes(utf8[$1]) }.map { UInt32($0) }
    }

    /// The 10 sections, in table order.
    private func blobSections() -> [[UInt8]] {
        var offsets = BlobWriter(), pieceBytes = BlobWriter(), scores = BlobWriter(), types = BlobWriter()
        offsets.u32(0)
        for piece in pieces {
            pieceBytes.append(Array(piece.text.utf8))
            offsets.u32(UInt32(pieceBytes.bytes.count))
            scores.f32(piece.score)
            types.bytes.append(piece.type.rawValue)
        }
        var matchable = BlobWriter()
        for id in matchableIndex { matchable.u32(id) }
        var bytePieces = [Int32](repeating: -1, count: 256)
        if byteLevelBPE != nil {
            bytePieces = ByteLevelBPE.bytePieces(of: pieces)
        } else if byteFallback {
            for (id, piece) in pieces.enumerated() where piece.type == .byte {
                if let byte = TokenizerModel.byteValue(ofPieceText: piece.text) { bytePieces[Int(byte)] = Int32(id) }
            }
        }
        var byteTable = BlobWriter()
        for id in bytePieces { byteTable.i32(id) }

        var specials = BlobWriter()
        specials.u32(UInt32(specialTokens.count))
        var strings: [UInt8] = []
        for token in specialTokens {
            var tokenFlags: UInt32 = 0
            if token.lstrip { tokenFlags |= TokenizerBlob.TokenFlag.lstrip.rawValue }
            if token.rstrip { tokenFlags |= TokenizerBlob.TokenFlag.rstrip.rawValue }
            if token.singleWord { tokenFlags |= TokenizerBlob.TokenFlag.singleWord.rawValue }
            if token.normalized { tokenFlags |= TokenizerBlob.TokenFlag.normalized.rawValue }
            let text = Array(token.text.utf8)
            specials.i32(token.id)
            specials.u32(tokenFlags)
            specials.u32(UInt32(strings.count))
            specials.u32(UInt32(text.count))
            strings += text
        }
        specials.append(strings)

        var lowercase = BlobWriter()
        if doLowerCase {
            let map = UnicodeTables.lowercaseMap
            lowercase.u32(UInt32(map.count))
            var targets: [UInt8] = []
            for (scalar, lower) in map {
                lowercase.u32(scalar)
                lowercase.u32(0)
                lowercase.u32(UInt32(targets.count))
                lowercase.u32(UInt32(lower.count))
                targets += lower
            }
            lowercase.append(targets)
        }
        var punctuation = BlobWriter()
        if splitByPunct {
            let ranges = tokenizersPipeline == nil ? UnicodeTables.punctuationRanges : UnicodeTables.tokenizersPunctuationRanges
            punctuation.u32(UInt32(ranges.count))
            for range in ranges {
                punctuation.u32(range.lowerBound)
                punctuation.u32(range.upperBound)
            }
        }
        if let byteLevelBPE { scores.bytes = byteLevelBPE.table() }
        return [offsets.bytes, pieceBytes.bytes, scores.bytes, types.bytes, matchable.bytes, byteTable.bytes,
                precompiledCharsmap, specials.bytes, lowercase.bytes, punctuation.bytes]
    }
}

/// Little-endian appends to a byte array.
struct BlobWriter {
    var bytes: [UInt8] = []

    mutating func append(_ data: [UInt8]) { bytes += data }

    mutating func u32(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
    }

    mutating func i32(_ value: Int32) { u32(UInt32(bitPattern: value)) }

    mutating func f32(_ value: Float) { u32(value.bitPattern) }

    mutating func padToMultipleOf8() {
        while bytes.count % 8 != 0 { bytes.append(0) }
    }
}
