import ArgumentParser
import DebertacBackend
import DebertacFrontend
import DebertacRuntime
import DebertacTokenizer

/// `debertac tokenize MODEL --input FILE`: token ids of texts, as transformers' tokenizer gives them.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize texts with a checkpoint's tokenizer or the one compiled into a .so.",
        discussion: """
            MODEL is a checkpoint folder (its spm.model or tokenizer.json, see docs/tokenizer.md) or a \
            shared object compiled by 'debertac compile'. FILE holds {"text": [...], "text_pair": [...], \
            "max_length": N} (text_pair and max_length optional; max_length defaults to the model's \
            max_position_embeddings), or is '-' for standard input. Prints {"input_ids": [[...]], \
            "token_type_ids": [[...]], "attention_mask": [[...]]} padded to the longest row with [PAD], \
            as tokenizer(text, text_pair, truncation=True, max_length=N, padding=True) in transformers. \
            Both kinds of MODEL run the same encoder.
            """
    )

    @Argument(help: "Checkpoint folder (or weights file beside its tokenizer), or a compiled .so.")
    var model: String

    @Option(help: "JSON file with the texts, or '-' for standard input.")
    var input: String

    @Option(help: "A tokenizer folder or file (spm.model, tokenizer.json) to use instead of the checkpoint's.")
    var tokenizer: String?

    func run() throws {
        try reportingErrors {
            try CheckpointTokenizer.requireExists(model)
            let request = try TextInput(json: try parseJSON(try readInput(input), source: input))
            var rows: [(ids: [Int32], typeIds: [Int32])] = []
            var pad: Int32 = 0
            if isSharedObject(model) {
                let compiled = try CompiledModel(path: model)
                guard compiled.hasTokenizer else {
                    throw TokenizerLookupError(message: "'\(model)' was compiled without a tokenizer")
                }
                for (i, text) in request.texts.enumerated() {
                    let encoding = try compiled.tokenize(text, pair: request.pairs?[i], maxLength: request.maxLength ?? 0)
                    rows.append((encoding.ids, encoding.typeIds))
                }
                pad = padId(compiled)
            } else {
                let tokenizerModel = try CheckpointTokenizer.require(model: model, override: tokenizer)
                let tokenizer = try Tokenizer(model: tokenizerModel)
                // In a checkpoint folder the ids are for its model: they must fit its vocabulary.
                let config = try CheckpointTokenizer.config(model: model)
                if let config { try CheckpointTokenizer.checkFits(tokenizer, source: tokenizerModel.source, vocabSize: config.vocabSize) }
                let maxLength = try request.maxLength ?? defaultMaxLength(model: model, config: config, tokenizer: tokenizer)
                for (i, text) in request.texts.enumerated() {
                    let encoding = try tokenizer.encode(text, pair: request.pairs?[i], maxLength: maxLength)
                    rows.append((encoding.inputIds, encoding.tokenTypeIds))
                }
                pad = tokenizer.padId
            }
            print(TokenizeCommand.json(rows, pad: pad))
        }
    }

    /// The `[PAD]` id of a compiled model's tokenizer: its info JSON records it.
    private func padId(_ compiled: CompiledModel) -> Int32 {
        let info = try? JSONParser.parse(Array(compiled.info.utf8))
        return Int32(info?["tokenizer"]?["pad_id"]?.intValue ?? 0)
    }

    /// Rows padded to the longest with `pad` (mask 0, token type 0), as transformers pads.
    static func json(_ rows: [(ids: [Int32], typeIds: [Int32])], pad: Int32) -> String {
        let width = rows.map(\.ids.count).max() ?? 0
        func matrix(_ row: (Int) -> [Int32]) -> String {
            "[" + rows.indices.map { "[" + row($0).map(String.init).joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
        }
        let ids = matrix { rows[$0].ids + Array(repeating: pad, count: width - rows[$0].ids.count) }
        let types = matrix { rows[$0].typeIds + Array(repeating: 0, count: width - rows[$0].typeIds.count) }
        let mask = matrix { Array(repeating: 1, count: rows[$0].ids.count) + Array(repeating: 0, count: width - rows[$0].ids.count) }
        return "{\"input_ids\": \(ids), \"token_type_ids\": \(types), \"attention_mask\": \(mask)}"
    }
}

/// The model's longest sequence (`config`, the checkpoint's config.json, max_position_embeddings)
/// when the checkpoint has one, else the tokenizer's model_max_length.
func defaultMaxLength(model: String, config: DebertaConfig?, tokenizer: Tokenizer) throws -> Int {
    if let config { return config.maxPositionEmbeddings }
    if let length = tokenizer.modelMaxLength { return length }
    throw TextInputError("'max_length' is needed: '\(model)' has no config.json and its tokenizer no model_max_length")
}

/// A JSON document, or an error naming the input and the byte offset.
func parseJSON(_ bytes: [UInt8], source: String) throws -> JSONValue {
    do {
        return try JSONParser.parse(bytes)
    } catch {
        throw InputFileError(path: source, message: "invalid json at byte \(error.offset): \(error.message)")
    }
}
