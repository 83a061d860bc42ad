import ArgumentParser
import DebertacBackend
import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import DebertacRuntime
import DebertacTokenizer
#if canImport(Glibc)
import Glibc
#endif

/// `debertac run MODEL --input FILE`: classifies a batch with the reference interpreter.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Classify a batch of token ids or texts with the reference interpreter (fp32, slow) or a compiled .so.",
        discussion: """
            MODEL is a checkpoint file or Hugging Face model folder, as for 'inspect', or a shared \
            object compiled by 'debertac compile' (run natively, in-process). FILE holds \
            {"input_ids": [[...]], "attention_mask": [[...]], "token_type_ids": [[...]]} (mask and \
            token types optional), or {"text": [...], "text_pair": [...]} (tokenized by the checkpoint's \
            or the .so's tokenizer, as 'debertac tokenize' does), or is '-' for standard input. Prints one JSON line: \
            {"logits": [[...]], "labels": [...]}, the label being id2label of each row's largest logit \
            (the single label for a regression head).
            """
    )

    @Argument(help: "Checkpoint file or model folder, or a compiled .so.")
    var model: String

    @Option(help: "For a compiled .so built with --external-weights: its weights file (default: MODEL.weights).")
    var weights: String?

    @Option(help: "JSON file with the token ids, or '-' for standard input.")
    var input: String

    @Option(help: "config.json to use instead of the one next to the weights.")
    var config: String?

    @Option(help: "For text input to a checkpoint: a tokenizer folder or file to use instead of the checkpoint's.")
    var tokenizer: String?

    func run() throws {
        try reportingErrors {
            let bytes = try readInput(input)
            if let document = try? JSONParser.parse(bytes), TextInput.isText(document) {
                try runText(try TextInput(json: document))
                return
            }
            if isSharedObject(model) {
                try runCompiled(bytes)
                return
            }
            let checkpoint = try Checkpoint.load(path: model, configPath: config)
            let batch = try InferenceInput.parse(json: bytes)
            try batch.validate(config: checkpoint.config)
            let graph = try DebertaGraphBuilder.build(checkpoint: checkpoint)
            // One run: converting each weight once is enough, no need to keep fp32 copies.
            let constants = CheckpointConstants(checkpoint: checkpoint, caching: false)
            let logits = try Interpreter(graph: graph, constants: constants).run(batch)[0]
            print(RunCommand.json(logits: logits, labels: checkpoint.config.labels))
        }
    }

    /// Runs a compiled model through its C ABI: the runtime checks the values (ids, mask,
    /// token types) with the interpreter's rules; the shape is checked here first.
    private func runCompiled(_ bytes: [UInt8]) throws {
        let batch = try InferenceInput.parse(json: bytes)
        try batch.validateShape()
        let compiled = try CompiledModel(path: model, weightsPath: weights)
        let session = try compiled.makeSession(maxBatch: batch.batchSize, maxLength: min(batch.length, compiled.maxSequenceLength))
        let rows = try session.classify(ids: batch.inputIds, mask: batch.attentionMask, types: batch.tokenTypeIds).map(\.logits)
        let logits = HostTensor(shape: [rows.count, compiled.numLabels], floats: rows.flatMap { $0 })
        print(RunCommand.json(logits: logits, labels: compiled.labels))
    }

    /// Texts: a .so tokenizes them itself (debertac_classify_text, truncated to max_length); a
    /// checkpoint's tokenizer runs in-process (the same encoder) and the interpreter classifies.
    private func runText(_ request: TextInput) throws {
        if isSharedObject(model) {
            let compiled = try CompiledModel(path: model, weightsPath: weights)
            let length = min(request.maxLength ?? compiled.maxSequenceLength, compiled.maxSequenceLength)
            let session = try compiled.makeSession(maxBatch: request.texts.count, maxLength: length)
            let rows = try session.classify(texts: request.texts, pairs: request.pairs).map(\.logits)
            let logits = HostTensor(shape: [rows.count, compiled.numLabels], floats: rows.flatMap { $0 })
            print(RunCommand.json(logits: logits, labels: compiled.labels))
            return
        }
        let checkpoint = try Checkpoint.load(path: model, configPath: config)
        let tokenizerModel = try CheckpointTokenizer.require(model: model, override: tokenizer)
        let encoder = try Tokenizer(model: tokenizerModel)
        try CheckpointTokenizer.checkFits(encoder, source: tokenizerModel.source, vocabSize: checkpoint.config.vocabSize)
        let maxLength = min(request.maxLength ?? checkpoint.config.maxPositionEmbeddings, checkpoint.config.maxPositionEmbeddings)
        var rows: [Tokenizer.Encoding] = []
        for (i, text) in request.texts.enumerated() {
            rows.append(try encoder.encode(text, pair: request.pairs?[i], maxLength: maxLength))
        }
        let width = rows.map(\.inputIds.count).max() ?? 0
        let batch = InferenceInput(
            inputIds: rows.map { $0.inputIds + Array(repeating: encoder.padId, count: width - $0.inputIds.count) },
            attentionMask: rows.map { Array(repeating: 1, count: $0.inputIds.count) + Array(repeating: 0, count: width - $0.inputIds.count) },
            // Without token type embeddings the model ignores token types (as the .so does).
            tokenTypeIds: checkpoint.config.typeVocabSize == 0 ? nil
                : rows.map { $0.tokenTypeIds + Array(repeating: 0, count: width - $0.tokenTypeIds.count) })
        try batch.validate(config: checkpoint.config)
        let graph = try DebertaGraphBuilder.build(checkpoint: checkpoint)
        let constants = CheckpointConstants(checkpoint: checkpoint, caching: false)
        let logits = try Interpreter(graph: graph, constants: constants).run(batch)[0]
        print(RunCommand.json(logits: logits, labels: checkpoint.config.labels))
    }

    /// `{"logits": [[...]], "labels": [...]}` for `[B, num_labels]` logits. Floats use
    /// Swift's shortest round-tripping `Float` text; labels are each row's argmax (first on
    /// ties), or the only label of a regression head.
    static func json(logits: HostTensor, labels: [String]) -> String {
        let width = logits.shape[1]
        let values = logits.floats
        var rows: [String] = []
        var predicted: [String] = []
        for b in 0..<logits.shape[0] {
            let row = Array(values[(b * width)..<((b + 1) * width)])
            rows.append("[" + row.map { $0.isFinite ? $0.description : "null" }.joined(separator: ", ") + "]")
            var best = 0
            for (i, value) in row.enumerated() where value > row[best] { best = i }
            predicted.append(JSONValue.string(labels[best]).serialized())
        }
        return "{\"logits\": [" + rows.joined(separator: ", ") + "], \"labels\": [" + predicted.joined(separator: ", ") + "]}"
    }
}

/// Whether `path` is an ELF file (a compiled model) rather than a checkpoint.
func isSharedObject(_ path: String) -> Bool {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var magic = [UInt8](repeating: 0, count: 4)
    return read(fd, &magic, 4) == 4 && magic == [0x7f, 0x45, 0x4c, 0x46]
}

/// The input file could not be read.
struct InputFileError: Error, CustomStringConvertible {
    let path: String
    let message: String
    var description: String { "cannot read input '\(path)': \(message)" }
}

/// All bytes of `path`, or of standard input for `-`.
func readInput(_ path: String) throws -> [UInt8] {
    let isStdin = path == "-"
    let fd = isStdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw InputFileError(path: path, message: String(cString: strerror(errno))) }
    defer { if !isStdin { close(fd) } }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw InputFileError(path: path, message: String(cString: strerror(errno)))
        }
        if count == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<count])
    }
}
