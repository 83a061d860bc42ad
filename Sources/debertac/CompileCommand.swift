import ArgumentParser
import DebertacBackend
import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import DebertacPasses
import DebertacTokenizer

/// `debertac compile MODEL`: builds the graph, runs the optimisation pipeline, and emits the
/// optimised IR or (through the backend) LLVM IR, assembly, an object or a shared object.
struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile a checkpoint: optimise its graph and emit IR, LLVM IR, assembly, an object or a shared object.",
        discussion: """
            MODEL is a checkpoint file or Hugging Face model folder, as for 'inspect'. Outputs are \
            written to a temporary name and renamed at the end: a failed compile leaves nothing. \
            With --config-only CONFIG.json no weights are read: the graph is built from the \
            configuration alone, which is enough for --emit=ir, --print-memory-plan and --stats \
            (ops that need weight data are left unfolded, with a note). The checkpoint folder's \
            tokenizer (spm.model with tokenizer_config.json, or tokenizer.json) is compiled into the \
            .so so that it takes text (docs/tokenizer.md); a folder without one gives an ids-only .so.
            """
    )

    /// What to write.
    enum Emit: String, ExpressibleByArgument, CaseIterable {
        /// The optimised graph IR (docs/ir.md).
        case ir
        /// LLVM IR, assembly, object, shared object: the backend's outputs.
        case llvm, asm, obj, so
    }

    @Argument(help: "Checkpoint file or model folder (omit with --config-only).")
    var model: String?

    @Option(help: "config.json to use instead of the one next to the weights.")
    var config: String?

    @Option(name: .customLong("config-only"), help: ArgumentHelp("Build from this config.json alone, without weights.", valueName: "config.json"))
    var configOnly: String?

    @Option(help: "What to write: ir, llvm, asm, obj or so (default: so, or ir with --config-only).")
    var emit: Emit?

    @Option(name: .shortAndLong, help: "Output file ('-' for stdout, with --emit=ir); omit to only run the pipeline (e.g. with --print-memory-plan).")
    var output: String?

    @Flag(name: .customLong("external-weights"), help: "With --emit=so, write the weights to OUTPUT.weights instead of embedding them.")
    var externalWeights = false

    @Option(name: .customLong("target-cpu"), help: "LLVM CPU to generate code for (default: this machine's; 'x86-64-v3' for a portable AVX2 build).")
    var targetCPU: String?

    @Option(name: .customLong("target-features"), help: "LLVM target features, e.g. '+avx2,-avx512f' (default: the host's, or the CPU's with --target-cpu).")
    var targetFeatures: String?

    @Option(help: "A tokenizer folder or file (spm.model, tokenizer.json) to compile in instead of the checkpoint folder's.")
    var tokenizer: String?

    @Flag(name: .customLong("no-tokenizer"), help: "Compile an ids-only .so even when the checkpoint has a tokenizer.")
    var noTokenizer = false

    @Option(name: .customLong("check-accuracy"),
            help: ArgumentHelp("After compiling the .so, run N seeded random sequences through it and the fp32 interpreter; print argmax agreement and logit differences.", valueName: "N"))
    var checkAccuracy: Int?

    @Option(name: .customLong("check-seed"), help: "Seed of --check-accuracy's inputs.")
    var checkSeed: UInt64 = 0

    @Flag(name: .customLong("quiet"), help: "Print no progress (stages, bytes of weights written) on stderr.")
    var quiet = false

    @OptionGroup var pipeline: PipelineOptions

    func validate() throws {
        if pipeline.listPasses { return }
        guard (model == nil) != (configOnly == nil) else {
            throw ValidationError("give either MODEL or --config-only CONFIG.json")
        }
        if configOnly != nil && kind != .ir {
            throw ValidationError("--config-only has no weights: only --emit=ir is possible")
        }
        if kind != .ir && output == "-" { throw ValidationError("--emit=\(kind.rawValue) cannot write to stdout") }
        if noTokenizer && tokenizer != nil { throw ValidationError("--tokenizer and --no-tokenizer exclude each other") }
        if let checkAccuracy {
            guard checkAccuracy >= 1 else { throw ValidationError("'--check-accuracy' is \(checkAccuracy), expected a positive number of inputs") }
            guard kind == .so, model != nil, output != nil else {
                throw ValidationError("--check-accuracy runs the compiled .so: it needs MODEL, --emit=so and -o")
            }
        }
    }

    /// `--emit`, defaulting to a shared object (IR with --config-only).
    var kind: Emit { emit ?? (configOnly == nil ? .so : .ir) }

    func run() throws {
        if pipeline.listPasses {
            print(PipelineOptions.passList)
            return
        }
        try reportingErrors {
            let checkpoint = try model.map { try Checkpoint.load(path: $0, configPath: config) }
            let modelConfig = try checkpoint?.config ?? DebertaConfig.load(path: configOnly!)
            // The tokenizer is read first, so that a bad one fails before the long part.
            let tokenizerBlob = try kind == .so ? loadTokenizer(config: modelConfig) : nil
            var graph = try checkpoint.map { try DebertaGraphBuilder.build(checkpoint: $0) }
                ?? DebertaGraphBuilder.build(config: modelConfig)
            // One compile reads each weight a few times at most: no fp32 cache of the checkpoint.
            let store = ConstantStore(base: checkpoint.map { CheckpointConstants(checkpoint: $0, caching: false) })
            let context = PassContext(constants: store, maxSequenceLength: modelConfig.maxPositionEmbeddings,
                                      precision: pipeline.precision)
            try pipeline.run(&graph, context: context)
            if let output {
                switch kind {
                case .ir:
                    try writeOutput(graph.printed(), to: output)
                case .llvm, .asm, .obj, .so:
                    try compileNative(graph, store: store, config: modelConfig, output: output, tokenizer: tokenizerBlob)
                }
                if let checkAccuracy, let checkpoint {
                    let check = AccuracyCheck(count: checkAccuracy, seed: checkSeed)
                    let result = try check.run(checkpoint: checkpoint, compiled: output) { line in
                        if !quiet { printError("debertac: \(line)") }
                    }
                    print(result)
                }
            }
            pipeline.printMemoryPlanIfRequested(graph, defaultLength: modelConfig.maxPositionEmbeddings,
                                                stdoutTaken: output == "-")
        }
    }

    /// The backend's part: LLVM IR, assembly, an object or a shared object at `output`.
    private func compileNative(_ graph: Graph, store: ConstantStore, config: DebertaConfig, output: String,
                               tokenizer: (blob: [UInt8], info: JSONValue)?) throws {
        var options = BackendOptions()
        options.tokenizer = tokenizer?.blob
        options.tokenizerInfo = tokenizer?.info
        options.emit = EmitKind(rawValue: kind.rawValue) ?? .so
        options.externalWeights = externalWeights
        options.compilerVersion = DebertacVersion.string
        options.target = TargetSelection(cpu: targetCPU, features: targetFeatures)
        options.precision = pipeline.precision
        if !quiet { options.progress = { printError("debertac: \($0)") } }
        _ = try Backend.compile(graph: graph, constants: store, config: config, output: output, options: options)
    }

    /// The tokenizer blob to compile in (nil for an ids-only .so), checked against the model:
    /// every id it can produce must be a row of the word embeddings.
    private func loadTokenizer(config: DebertaConfig) throws -> (blob: [UInt8], info: JSONValue)? {
        guard !noTokenizer, let model else { return nil }
        guard let tokenizerModel = try CheckpointTokenizer.load(model: model, override: tokenizer) else {
            if !quiet { printError("debertac: no tokenizer in '\(model)' (spm.model or tokenizer.json): compiling an ids-only .so") }
            return nil
        }
        let encoder = try Tokenizer(model: tokenizerModel)
        try CheckpointTokenizer.checkFits(encoder, source: tokenizerModel.source, vocabSize: config.vocabSize)
        if !quiet { printError("debertac: tokenizer \(tokenizerModel.source): \(tokenizerModel.pieces.count) pieces, \(byteCount(encoder.blob.count))") }
        let info: JSONValue = .object([
            (key: "source", value: .string(tokenizerModel.source)),
            (key: "pieces", value: .int(tokenizerModel.pieces.count)),
            (key: "vocab_limit", value: .int(encoder.vocabLimit)),
            (key: "cls_id", value: .int(Int(encoder.clsId))),
            (key: "sep_id", value: .int(Int(encoder.sepId))),
            (key: "pad_id", value: .int(Int(encoder.padId))),
            (key: "bytes", value: .int(encoder.blob.count)),
        ])
        return (encoder.blob, info)
    }

    private func byteCount(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\((bytes * 10 >> 20) / 10).\((bytes * 10 >> 20) % 10) MiB" : "\((bytes + 1023) >> 10) KiB"
    }
}
