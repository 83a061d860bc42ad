/// The token ids and token types of one text or pair, as the checkpoint's Hugging Face
/// tokenizer gives them (`[CLS] A [SEP] B [SEP]`, types 0 then 1), unpadded.
public struct Encoding: Sendable, Equatable {
    /// Token ids, each in `0..<vocabSize`.
    public let ids: [Int32]
    /// Token type ids, one per token.
    public let typeIds: [Int32]
}

extension CompiledModel {
    /// `debertac_tokenize`: `text` (and `pair`) tokenized by the tokenizer compiled into the
    /// .so, truncated `longest_first` to `maxLength` tokens including the special ones (0: the
    /// model's maximum sequence length).
    ///
    /// Throws `invalidArgument` for a model without a tokenizer, invalid UTF-8, a text holding a
    /// NUL character, or a `maxLength` below the special tokens.
    public func tokenize(_ text: String, pair: String? = nil, maxLength: Int = 0) throws(DebertacError) -> Encoding {
        let calls = try requireText()
        try CStringArguments.check(text, name: "text")
        if let pair { try CStringArguments.check(pair, name: "pair") }
        var capacity: Int32 = 512
        while true {
            var ids = [Int32](repeating: 0, count: Int(capacity))
            var types = [Int32](repeating: 0, count: Int(capacity))
            var length: Int32 = 0
            let status = text.withCString { t in
                CStringArguments.withOptional(pair) { p in
                    calls.tokenize(rawModel, t, p, Int32(clamping: maxLength), &ids, &types, capacity, &length)
                }
            }
            guard status == 0 else { throw DebertacError(status: .init(raw: status), message: api.lastOpenError) }
            // Called again with room for the full length when it did not fit.
            if length <= capacity { return Encoding(ids: Array(ids.prefix(Int(length))), typeIds: Array(types.prefix(Int(length)))) }
            capacity = length
        }
    }
}
