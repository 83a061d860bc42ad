import DebertacFrontend

/// One batch of tokenised sequences, as a user hands it to a model: the graph inputs
/// `input_ids`, `attention_mask` and `token_type_ids`, each `[B][T]`.
///
/// Inputs are untrusted. `validate(config:)` is the single definition of what a model
/// accepts; the interpreter, `debertac run` and the compiled runtime all enforce exactly
/// these rules, in this order, with these errors:
/// 1. shape: at least one row, at least one token per row, rectangular, and the mask and
///    token type ids (when given) with the same `[B][T]` shape as the ids;
/// 2. `T ≤ max_position_embeddings` (the longest sequence the checkpoint was built for,
///    and the size of its absolute position table when it has one);
/// 3. ids in `[0, vocab_size)`;
/// 4. mask entries 0 or 1, and the first token of every row unmasked (the classifier head
///    reads token 0; a masked one would classify a padding row);
/// 5. token type ids in `[0, type_vocab_size)`; ignored when `type_vocab_size` is 0 (the model has
///    no token type embeddings; transformers ignores them too, and its tokenizer gives 1s to a pair's
///    second segment).
public struct InferenceInput: Equatable, Sendable {
    /// Token ids, `[B][T]`.
    public var inputIds: [[Int32]]
    /// 1 for a real token, 0 for padding, `[B][T]`.
    public var attentionMask: [[Int32]]
    /// Segment ids, `[B][T]`; all 0 for single sequences and for models without token types.
    public var tokenTypeIds: [[Int32]]

    /// The three field names, as in JSON and as graph input names.
    public static let fieldNames = ["input_ids", "attention_mask", "token_type_ids"]

    /// A batch; the mask defaults to all ones and the token type ids to all zeros, each
    /// row as long as the corresponding row of `inputIds`.
    public init(inputIds: [[Int32]], attentionMask: [[Int32]]? = nil, tokenTypeIds: [[Int32]]? = nil) {
        self.inputIds = inputIds
        self.attentionMask = attentionMask ?? inputIds.map { [Int32](repeating: 1, count: $0.count) }
        self.tokenTypeIds = tokenTypeIds ?? inputIds.map { [Int32](repeating: 0, count: $0.count) }
    }

    /// Number of sequences B.
    public var batchSize: Int { inputIds.count }
    /// Sequence length T (that of the first row).
    public var length: Int { inputIds.first?.count ?? 0 }

    // MARK: - Validation

    /// Checks every rule above against the model's `config`; throws the first violation,
    /// naming the field and the row and column.
    public func validate(config: DebertaConfig) throws(InterpreterError) {
        try validateShape()
        guard length <= config.maxPositionEmbeddings else {
            throw .sequenceTooLong(length: length, maximum: config.maxPositionEmbeddings)
        }
        try forEach(inputIds, "input_ids") { value throws(InterpreterError) in
            guard value >= 0 && Int(value) < config.vocabSize else { return "a token id in [0, \(config.vocabSize))" }
            return nil
        }
        try forEach(attentionMask, "attention_mask") { value throws(InterpreterError) in
            value == 0 || value == 1 ? nil : "0 or 1"
        }
        for (row, mask) in attentionMask.enumerated() where mask[0] == 0 {
            throw .maskedFirstToken(row: row)
        }
        let types = config.typeVocabSize
        guard types > 0 else { return }
        try forEach(tokenTypeIds, "token_type_ids") { value throws(InterpreterError) in
            value >= 0 && Int(value) < types ? nil : "a token type id in [0, \(types))"
        }
    }

    /// Checks the shape rules alone (B ≥ 1, T ≥ 1, rectangular, equal shapes), which do not
    /// depend on the model.
    public func validateShape() throws(InterpreterError) {
        guard let first = inputIds.first else { throw .emptyBatch(field: "input_ids") }
        for (row, ids) in inputIds.enumerated() {
            if ids.isEmpty { throw .emptySequence(field: "input_ids", row: row) }
            if ids.count != first.count {
                throw .raggedRow(field: "input_ids", row: row, length: ids.count, expected: first.count, reference: "row 0")
            }
        }
        for (field, rows) in [("attention_mask", attentionMask), ("token_type_ids", tokenTypeIds)] {
            guard rows.count == inputIds.count else {
                throw .rowCountMismatch(field: field, rows: rows.count, expected: inputIds.count)
            }
            for (row, values) in rows.enumerated() where values.count != first.count {
                throw .raggedRow(field: field, row: row, length: values.count, expected: first.count, reference: "'input_ids'")
            }
        }
    }

    /// Calls `expected` on every entry of `rows`; a non-nil result describes the valid
    /// values and makes the entry an error.
    private func forEach(
        _ rows: [[Int32]], _ field: String, _ expected: (Int32) throws(InterpreterError) -> String?
    ) throws(InterpreterError) {
        for (row, values) in rows.enumerated() {
            for (column, value) in values.enumerated() {
                if let description = try expected(value) {
                    throw .valueOutOfRange(field: field, row: row, column: column, value: Int(value), expected: description)
                }
            }
        }
    }

    // MARK: - Tensors

    /// The three fields as `i32[B, T]` tensors keyed by graph input name. Throws the
    /// shape errors of `validateShape()`.
    public var tensors: [String: HostTensor] {
        get throws(InterpreterError) {
            try validateShape()
            return [
                "input_ids": HostTensor(rows: inputIds),
                "attention_mask": HostTensor(rows: attentionMask),
                "token_type_ids": HostTensor(rows: tokenTypeIds),
            ]
        }
    }
}
