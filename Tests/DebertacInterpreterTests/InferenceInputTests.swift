import DebertacFrontend
import DebertacInterpreter
import Testing

/// `InferenceInput`: JSON parsing and the validation rules every runner enforces.
@Suite struct InferenceInputTests {
    /// vocab 96, max_position_embeddings 8, with or without token types.
    static func config(typeVocabSize: Int = 0) -> DebertaConfig {
        var config = DebertaConfig()
        config.vocabSize = 96
        config.maxPositionEmbeddings = 8
        config.typeVocabSize = typeVocabSize
        return config
    }

    // MARK: - Validation

    struct Rejection: Sendable, CustomTestStringConvertible {
        let name: String
        let input: InferenceInput
        let typeVocabSize: Int
        let error: InterpreterError
        let message: String
        var testDescription: String { name }
    }

    static let rejections: [Rejection] = [
        Rejection(name: "empty batch", input: InferenceInput(inputIds: []), typeVocabSize: 0,
                  error: .emptyBatch(field: "input_ids"),
                  message: "'input_ids' has no rows, expected a batch of at least one sequence"),
        Rejection(name: "empty sequence", input: InferenceInput(inputIds: [[]]), typeVocabSize: 0,
                  error: .emptySequence(field: "input_ids", row: 0),
                  message: "'input_ids' row 0 is empty, expected at least one token"),
        Rejection(name: "ragged ids", input: InferenceInput(inputIds: [[1, 2, 3], [1, 2]]), typeVocabSize: 0,
                  error: .raggedRow(field: "input_ids", row: 1, length: 2, expected: 3, reference: "row 0"),
                  message: "'input_ids' row 1 has 2 entries, expected 3 like row 0"),
        Rejection(name: "ragged mask", input: InferenceInput(inputIds: [[1, 2, 3], [1, 2, 3]], attentionMask: [[1, 1, 1], [1, 1]]),
                  typeVocabSize: 0,
                  error: .raggedRow(field: "attention_mask", row: 1, length: 2, expected: 3, reference: "'input_ids'"),
                  message: "'attention_mask' row 1 has 2 entries, expected 3 like 'input_ids'"),
        Rejection(name: "mask rows", input: InferenceInput(inputIds: [[1, 2], [1, 2]], attentionMask: [[1, 1]]), typeVocabSize: 0,
                  error: .rowCountMismatch(field: "attention_mask", rows: 1, expected: 2),
                  message: "'attention_mask' has 1 rows, expected 2 like 'input_ids'"),
        Rejection(name: "token type rows", input: InferenceInput(inputIds: [[1, 2]], tokenTypeIds: [[0, 0], [0, 0]]), typeVocabSize: 2,
                  error: .rowCountMismatch(field: "token_type_ids", rows: 2, expected: 1),
                  message: "'token_type_ids' has 2 rows, expected 1 like 'input_ids'"),
        Rejection(name: "too long", input: InferenceInput(inputIds: [[Int32](repeating: 5, count: 9)]), typeVocabSize: 0,
                  error: .sequenceTooLong(length: 9, maximum: 8),
                  message: "sequence length 9 exceeds 'max_position_embeddings' (8)"),
        Rejection(name: "id too large", input: InferenceInput(inputIds: [[1, 5, 2], [1, 96, 2]]), typeVocabSize: 0,
                  error: .valueOutOfRange(field: "input_ids", row: 1, column: 1, value: 96, expected: "a token id in [0, 96)"),
                  message: "'input_ids' row 1 column 1 is 96, expected a token id in [0, 96)"),
        Rejection(name: "negative id", input: InferenceInput(inputIds: [[1, -3, 2]]), typeVocabSize: 0,
                  error: .valueOutOfRange(field: "input_ids", row: 0, column: 1, value: -3, expected: "a token id in [0, 96)"),
                  message: "'input_ids' row 0 column 1 is -3, expected a token id in [0, 96)"),
        Rejection(name: "mask value", input: InferenceInput(inputIds: [[1, 5, 2]], attentionMask: [[1, 2, 0]]), typeVocabSize: 0,
                  error: .valueOutOfRange(field: "attention_mask", row: 0, column: 1, value: 2, expected: "0 or 1"),
                  message: "'attention_mask' row 0 column 1 is 2, expected 0 or 1"),
        Rejection(name: "masked first token", input: InferenceInput(inputIds: [[1, 5, 2], [0, 5, 2]], attentionMask: [[1, 1, 1], [0, 1, 1]]),
                  typeVocabSize: 0, error: .maskedFirstToken(row: 1),
                  message: "'attention_mask' row 1 masks its first token, expected 1 there (the classifier reads token 0)"),
        Rejection(name: "token type out of range", input: InferenceInput(inputIds: [[1, 5, 2]], tokenTypeIds: [[0, 1, 2]]), typeVocabSize: 2,
                  error: .valueOutOfRange(field: "token_type_ids", row: 0, column: 2, value: 2, expected: "a token type id in [0, 2)"),
                  message: "'token_type_ids' row 0 column 2 is 2, expected a token type id in [0, 2)"),
        Rejection(name: "negative token type", input: InferenceInput(inputIds: [[1, 5, 2]], tokenTypeIds: [[0, -1, 0]]), typeVocabSize: 2,
                  error: .valueOutOfRange(field: "token_type_ids", row: 0, column: 1, value: -1, expected: "a token type id in [0, 2)"),
                  message: "'token_type_ids' row 0 column 1 is -1, expected a token type id in [0, 2)"),
    ]

    @Test("invalid inputs are rejected with a typed error naming the field", arguments: rejections)
    func rejects(_ rejection: Rejection) {
        #expect(throws: rejection.error) {
            try rejection.input.validate(config: Self.config(typeVocabSize: rejection.typeVocabSize))
        }
        #expect(rejection.error.description == rejection.message)
    }

    @Test("valid inputs pass, including padding and maximal length")
    func accepts() throws {
        let config = Self.config(typeVocabSize: 2)
        try InferenceInput(inputIds: [[1, 95, 2, 0], [1, 2, 0, 0]], attentionMask: [[1, 1, 1, 0], [1, 1, 0, 0]],
                           tokenTypeIds: [[0, 1, 1, 0], [0, 0, 0, 0]]).validate(config: config)
        try InferenceInput(inputIds: [[Int32](repeating: 7, count: 8)]).validate(config: config)
        try InferenceInput(inputIds: [[0]]).validate(config: Self.config())
        // Without token type embeddings the types are ignored, as transformers ignores them (a pair's
        // second segment comes from the tokenizer with 1s).
        try InferenceInput(inputIds: [[1, 5, 2, 6, 2]], tokenTypeIds: [[0, 0, 0, 1, 7]]).validate(config: Self.config())
    }

    @Test("the mask defaults to ones and token types to zeros")
    func defaults() {
        let input = InferenceInput(inputIds: [[1, 2, 3], [4, 5, 6]])
        #expect(input.attentionMask == [[1, 1, 1], [1, 1, 1]])
        #expect(input.tokenTypeIds == [[0, 0, 0], [0, 0, 0]])
        #expect(input.batchSize == 2 && input.length == 3)
    }

    @Test("the tensors are i32 [B, T] and refuse ragged rows")
    func tensors() throws {
        let tensors = try InferenceInput(inputIds: [[1, 2, 3], [4, 5, 6]]).tensors
        #expect(tensors["input_ids"] == HostTensor(shape: [2, 3], ints: [1, 2, 3, 4, 5, 6]))
        #expect(tensors["attention_mask"] == HostTensor(shape: [2, 3], ints: [1, 1, 1, 1, 1, 1]))
        #expect(tensors["token_type_ids"] == HostTensor(shape: [2, 3], ints: [0, 0, 0, 0, 0, 0]))
        #expect(throws: InterpreterError.raggedRow(field: "input_ids", row: 1, length: 1, expected: 2, reference: "row 0")) {
            _ = try InferenceInput(inputIds: [[1, 2], [3]]).tensors
        }
    }

    // MARK: - JSON

    @Test("json with all three fields")
    func parsesJSON() throws {
        let text = #"{"input_ids": [[1, 5, 2], [1, 2, 0]], "attention_mask": [[1, 1, 1], [1, 1, 0]], "token_type_ids": [[0, 0, 1], [0, 0, 0]]}"#
        let input = try InferenceInput.parse(json: Array(text.utf8))
        #expect(input == InferenceInput(inputIds: [[1, 5, 2], [1, 2, 0]], attentionMask: [[1, 1, 1], [1, 1, 0]],
                                        tokenTypeIds: [[0, 0, 1], [0, 0, 0]]))
    }

    @Test("json without the optional fields (absent or null) gets the defaults")
    func parsesDefaults() throws {
        for text in [#"{"input_ids": [[1, 5, 2]]}"#, #"{"input_ids": [[1, 5, 2]], "attention_mask": null, "token_type_ids": null}"#] {
            #expect(try InferenceInput.parse(json: Array(text.utf8)) == InferenceInput(inputIds: [[1, 5, 2]]))
        }
    }

    static let malformed: [(json: String, message: String)] = [
        (#"{"input_ids": [[1, 2]"#, "input is not valid json"),
        (#"[[1, 2]]"#, "input is an array, expected a json object"),
        (#"{"attention_mask": [[1]]}"#, "'input_ids' is missing"),
        (#"{"input_ids": [[1]], "attention_masks": [[1]]}"#,
         "'attention_masks' is not an input field, expected 'input_ids', 'attention_mask' or 'token_type_ids'"),
        (#"{"input_ids": "1 2 3"}"#, "'input_ids' is a string, expected an array of rows"),
        (#"{"input_ids": [1, 2, 3]}"#, "'input_ids' row 0 is a number, expected an array of integers"),
        (#"{"input_ids": [[1, 2.5, 3]]}"#, "'input_ids' row 0 column 1 is 2.5, expected an integer"),
        (#"{"input_ids": [[1, 2, 3]], "attention_mask": [[1, true, 1]]}"#,
         "'attention_mask' row 0 column 1 is a boolean, expected an integer"),
        (#"{"input_ids": [[1, 4294967296]]}"#, "'input_ids' row 0 column 1 is 4294967296, expected a 32-bit integer"),
    ]

    @Test("malformed json is rejected naming the field, row and column", arguments: malformed)
    func rejectsJSON(_ json: String, _ message: String) {
        #expect {
            _ = try InferenceInput.parse(json: Array(json.utf8))
        } throws: { error in
            guard let error = error as? InterpreterError else { return false }
            #expect(error.description.hasPrefix(message), "\(error)")
            return true
        }
    }
}
