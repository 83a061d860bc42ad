extension TokenizerModel {
    /// Reads a tokenizer blob back (round-trip tests, fuzzing, tools): every bound is checked,
    /// the model must pass `validate()`, and the blob must be exactly what `serialized()` writes
    /// for it (canonical: derived header fields, section order, padding and the Unicode tables
    /// included). `source` labels errors and becomes the model's `source`.
    public init(blob: [UInt8], source: String = "tokenizer blob") throws(TokenizerError) {
        let reader = BlobReader(bytes: blob, file: source)
        let header = TokenizerBlob.headerSize
        guard blob.count >= header else { throw reader.truncated(blob.count, "header needs \(header) bytes") }
        guard Array(blob[0..<8]) == TokenizerBlob.magic else { throw reader.malformed(0, "no 'debertok' magic") }
        let version = reader.u32(8)
        guard version == TokenizerBlob.version else { throw reader.malformed(8, "format version \(version), expected \(TokenizerBlob.version)") }
        let flags = reader.u32(12)
        guard flags < 1 << 15, flags < 1 << 8 || flags & TokenizerBlob.Flag.tokenizersSemantics.rawValue != 0 else {
            throw reader.malformed(12, "unknown flags 0x\(String(flags, radix: 16))")
        }
        let flag = { (f: TokenizerBlob.Flag) in flags & f.rawValue != 0 }
        let pieceCount = Int(reader.u32(16))
        guard pieceCount >= 1, pieceCount <= TokenizerModel.maximumPieces else {
            throw reader.malformed(16, "\(pieceCount) pieces, expected 1 to \(TokenizerModel.maximumPieces)")
        }
        let sectionCount = reader.u32(60)
        guard sectionCount == UInt32(TokenizerBlob.sectionCount) else {
            throw reader.malformed(60, "\(sectionCount) sections, expected \(TokenizerBlob.sectionCount)")
        }
        var sections: [Range<Int>] = []
        for index in 0..<TokenizerBlob.sectionCount {
            let at = TokenizerBlob.tableOffset + 8 * index
            let offset = Int(reader.u32(at)), size = Int(reader.u32(at + 4))
            guard offset % 8 == 0, offset >= header, offset + size <= blob.count else {
                throw reader.malformed(at, "section \(index) of \(size) bytes at \(offset) is not 8-aligned inside the \(blob.count)-byte blob after the header")
            }
            sections.append(offset..<(offset + size))
        }

        // 0–3: pieces.
        let isBPE = flag(.byteLevelBPE)
        guard sections[0].count == 4 * (pieceCount + 1), isBPE || sections[2].count == 4 * pieceCount, sections[3].count == pieceCount else {
            throw reader.malformed(TokenizerBlob.tableOffset, "piece offsets, scores or types do not have \(pieceCount) entries")
        }
        var pieces: [Piece] = []
        pieces.reserveCapacity(pieceCount)
        var start = 0
        for id in 0..<pieceCount {
            let entry = sections[0].lowerBound + 4 * (id + 1)
            let end = Int(reader.u32(entry))
            guard reader.u32(sections[0].lowerBound) == 0, end >= start, end <= sections[1].count else {
                throw reader.malformed(entry, "piece offset \(id + 1) is \(end), expected \(start) to \(sections[1].count)")
            }
            let range = (sections[1].lowerBound + start)..<(sections[1].lowerBound + end)
            guard let text = String(validating: blob[range], as: UTF8.self) else {
                throw reader.malformed(range.lowerBound, "piece \(id) is not valid UTF-8")
            }
            let rawType = blob[sections[3].lowerBound + id]
            guard let type = PieceType(rawValue: rawType) else {
                throw reader.malformed(sections[3].lowerBound + id, "piece \(id) has type \(rawType), expected 1-6")
            }
            let score = isBPE ? 0 : Float(bitPattern: reader.u32(sections[2].lowerBound + 4 * id))
            pieces.append(Piece(text: text, score: score, type: type))
            start = end
        }
        guard start == sections[1].count else {
            throw reader.malformed(sections[0].upperBound - 4, "last piece offset is \(start), expected the \(sections[1].count) piece bytes")
        }

        let specialTokens = try reader.specialTokens(sections[7])
        guard flag(.doLowerCase) || sections[8].isEmpty, flag(.splitByPunct) || sections[9].isEmpty else {
            throw reader.malformed(TokenizerBlob.tableOffset + 64, "lowercase or punctuation table without its flag")
        }
        let maxLength = reader.u32(56)
        guard maxLength <= UInt32(Int32.max) else { throw reader.malformed(56, "model_max_length \(maxLength) does not fit an Int32") }
        self.init(
            pieces: pieces, precompiledCharsmap: Array(blob[sections[6]]),
            addDummyPrefix: flag(.addDummyPrefix), removeExtraWhitespaces: flag(.removeExtraWhitespaces),
            escapeWhitespaces: flag(.escapeWhitespaces), treatWhitespaceAsSuffix: flag(.treatWhitespaceAsSuffix),
            byteFallback: flag(.byteFallback), doLowerCase: flag(.doLowerCase), splitByPunct: flag(.splitByPunct),
            unkId: reader.i32(20), clsId: reader.i32(24), sepId: reader.i32(28), padId: reader.i32(32),
            specialTokens: specialTokens, modelMaxLength: maxLength == 0 ? nil : Int32(maxLength), source: source)
        if flag(.tokenizersSemantics) {
            var pipeline = TokenizersPipeline()
            pipeline.stripLeft = flag(.stripLeft)
            pipeline.stripRight = flag(.stripRight)
            pipeline.collapseSpaces = flag(.collapseSpaces)
            pipeline.stripAfterCharsmap = flag(.stripAfterCharsmap)
            pipeline.metaspaceNoSplit = flag(.metaspaceNoSplit)
            tokenizersPipeline = pipeline
        }
        if isBPE {
            guard let bpe = ByteLevelBPE.parse(table: blob[sections[2]]) else {
                throw reader.malformed(sections[2].lowerBound, "the merge table is not \(sections[2].count) bytes of slots")
            }
            byteLevelBPE = bpe
        }
        if !precompiledCharsmap.isEmpty {
            try PrecompiledCharsmap.validate(precompiledCharsmap, file: source, offset: sections[6].lowerBound)
        }
        try validate(checkingPieces: true, checkingCharsmap: false)

        // Derived fields, named before the byte-for-byte comparison so that errors say what differs.
        let (minScore, maxScore) = scoreRange
        let derived: [(Int, String, UInt32)] = [
            (36, "vocab_limit", UInt32(vocabLimit)), (40, "min_score", minScore.bitPattern), (44, "max_score", maxScore.bitPattern),
            (48, "max_piece_bytes", UInt32(maxMatchablePieceBytes)), (52, "reserved", 0),
        ]
        for (offset, name, expected) in derived where reader.u32(offset) != expected {
            throw reader.malformed(offset, "\(name) is 0x\(String(reader.u32(offset), radix: 16)), expected 0x\(String(expected, radix: 16)) for these pieces")
        }
        let canonical = try serialized()
        if canonical != blob {
            let at = zip(canonical, blob).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? Swift.min(canonical.count, blob.count)
            let section = sections.firstIndex { $0.contains(at) }.map { "section \($0)" } ?? "the header or padding"
            throw reader.malformed(at, "differs from the canonical blob of its model (in \(section); \(canonical.count) bytes expected, \(blob.count) found)")
        }
    }
}

/// Bounds-checked little-endian reads from a blob; callers check ranges before reading.
private struct BlobReader {
    let bytes: [UInt8]
    let file: String

    func u32(_ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    func i32(_ offset: Int) -> Int32 { Int32(bitPattern: u32(offset)) }

    func malformed(_ offset: Int, _ message: String) -> TokenizerError {
        .malformed(file: file, offset: offset, message: "tokenizer blob: \(message)")
    }

    func truncated(_ offset: Int, _ what: String) -> TokenizerError {
        .truncated(file: file, offset: offset, what: "tokenizer blob: \(what)")
    }

    /// Section 7: u32 count, count × (i32 id, u32 flags, u32 offset, u32 length), strings.
    func specialTokens(_ section: Range<Int>) throws(TokenizerError) -> [TokenizerModel.SpecialToken] {
        guard section.count >= 4 else { throw malformed(section.lowerBound, "special tokens section has \(section.count) bytes, expected a count") }
        let count = Int(u32(section.lowerBound))
        let entries = section.lowerBound + 4
        guard count <= TokenizerModel.maximumSpecialTokens, count * TokenizerBlob.entrySize <= section.count - 4 else {
            throw malformed(section.lowerBound, "\(count) special tokens do not fit in the \(section.count)-byte section")
        }
        let strings = (entries + count * TokenizerBlob.entrySize)..<section.upperBound
        var tokens: [TokenizerModel.SpecialToken] = []
        for index in 0..<count {
            let entry = entries + index * TokenizerBlob.entrySize
            let flags = u32(entry + 4), offset = Int(u32(entry + 8)), length = Int(u32(entry + 12))
            guard flags < 16 else { throw malformed(entry + 4, "special token \(index) has flags 0x\(String(flags, radix: 16)), expected bits 0-3 only") }
            guard offset + length <= strings.count else {
                throw malformed(entry + 8, "special token \(index) at \(offset) of \(length) bytes runs past its \(strings.count) bytes of strings")
            }
            let range = (strings.lowerBound + offset)..<(strings.lowerBound + offset + length)
            guard let text = String(validating: bytes[range], as: UTF8.self) else {
                throw malformed(range.lowerBound, "special token \(index) is not valid UTF-8")
            }
            tokens.append(.init(text: text, id: i32(entry), lstrip: flags & 1 != 0, rstrip: flags & 2 != 0, singleWord: flags & 4 != 0,
                                normalized: flags & 8 != 0))
        }
        return tokens
    }
}
