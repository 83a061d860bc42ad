/// The special tokens of an spm.model tokenizer and their ids, as transformers' slow
/// `DebertaV2Tokenizer` (4.x) assigns them.
struct ResolvedSpecialTokens: Equatable {
    /// Every added or special token, sorted by text bytewise (`TokenizerModel.specialTokens`).
    var tokens: [TokenizerModel.SpecialToken]
    var clsId: Int32
    var sepId: Int32
    var padId: Int32
}

extension TokenizerConfig {
    /// Assigns ids as transformers 4.x does when it loads a slow tokenizer:
    ///
    /// 1. `_added_tokens_decoder` is `added_tokens_decoder` of tokenizer_config.json, or else
    ///    `added_tokens.json` (each token special when it is one of the configured special
    ///    tokens, no stripping);
    /// 2. `PreTrainedTokenizer.__init__` then calls `_add_tokens` on the special tokens
    ///    (`all_special_tokens_extended`: bos, eos, unk, sep, pad, cls, mask, additional, by text,
    ///    first occurrence kept) that the decoder does not have yet: one already in the vocabulary
    ///    (`{IdToPiece(i): i}`, so the last of equal pieces) gets that id; a new one gets
    ///    `len(vocabulary ∪ added) + k` for the k-th new token;
    /// 3. every decoder entry is an added token, split out of typed text with its
    ///    lstrip/rstrip/single_word; `cls_token_id` etc. are looked up among them.
    ///
    /// `vocabulary` maps each piece text to its (last) id. Empty tokens are skipped, as
    /// transformers does; `cls_token`, `sep_token` and `pad_token` must not be null (the encoder
    /// and the blob need all three).
    func resolveSpecialTokens(vocabulary: [String: Int32], file: String) throws(TokenizerError) -> ResolvedSpecialTokens {
        var decoder: [Int32: AddedToken] = [:]
        var encoder: [String: Int32] = [:]
        if let addedTokensDecoder {
            for entry in addedTokensDecoder { decoder[entry.id] = entry.token }
        } else {
            let specials = Set(Role.allCases.compactMap { roles[$0].flatMap { $0?.content } } + additionalSpecialTokens.map(\.content))
            for entry in addedTokensFile {
                var token = entry.token
                token.special = specials.contains(token.content)
                decoder[entry.id] = token
            }
        }
        // Python builds the encoder from the decoder dict, in the order ids were first inserted:
        // the last id of a text wins.
        var ordered = Set<Int32>()
        for id in (addedTokensDecoder ?? addedTokensFile).map(\.id) where ordered.insert(id).inserted {
            if let token = decoder[id] { encoder[token.content] = id }
        }

        var extended: [AddedToken] = []
        var seen = Set<String>()
        for token in Role.allCases.compactMap({ self.token($0) }) + additionalSpecialTokens where seen.insert(token.content).inserted {
            extended.append(token)
        }
        var current = vocabulary
        for (content, id) in encoder { current[content] = id }
        let newBase = current.count
        var added = 0
        for var token in extended where encoder[token.content] == nil && !token.content.isEmpty {
            token.special = true
            let id: Int32
            if let existing = current[token.content] {
                id = existing
            } else {
                guard newBase + added < Int(Int32.max) else {
                    throw TokenizerError.field(file: file, field: "special tokens", message: "no id left for \(quoted(token.content))")
                }
                id = Int32(newBase + added)
                added += 1
                current[token.content] = id
            }
            decoder[id] = token
            encoder[token.content] = id
        }

        var tokens: [TokenizerModel.SpecialToken] = []
        for (content, id) in encoder where !content.isEmpty {
            let flags = decoder[id].flatMap { $0.content == content ? $0 : nil } ?? AddedToken(content: content)
            tokens.append(.init(text: content, id: id, lstrip: flags.lstrip, rstrip: flags.rstrip, singleWord: flags.singleWord))
        }
        tokens.sort { $0.text.utf8.lexicographicallyPrecedes($1.text.utf8) }

        func id(of role: Role) throws(TokenizerError) -> Int32? {
            guard let token = self.token(role) else { return nil }
            guard !token.content.isEmpty, let id = encoder[token.content] else {
                throw TokenizerError.field(file: file, field: role.rawValue, message: "is empty, expected a token")
            }
            return id
        }
        guard let cls = try id(of: .cls) else {
            throw TokenizerError.field(file: file, field: Role.cls.rawValue, message: "is null, expected a token such as '[CLS]'")
        }
        guard let sep = try id(of: .sep) else {
            throw TokenizerError.field(file: file, field: Role.sep.rawValue, message: "is null, expected a token such as '[SEP]'")
        }
        guard let pad = try id(of: .pad) else {
            throw TokenizerError.field(file: file, field: Role.pad.rawValue, message: "is null, expected a token such as '[PAD]'")
        }
        return ResolvedSpecialTokens(tokens: tokens, clsId: cls, sepId: sep, padId: pad)
    }
}

extension TokenizerModel {
    /// `{piece text: id}` with the last id of equal texts, as Python's `{IdToPiece(i): i}`.
    static func vocabulary(of pieces: [Piece]) -> [String: Int32] {
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(pieces.count)
        for (id, piece) in pieces.enumerated() { vocabulary[piece.text] = Int32(id) }
        return vocabulary
    }
}
