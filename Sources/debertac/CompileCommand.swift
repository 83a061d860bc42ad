import ArgumentParser
import DebertacBackend
import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import DebertacPasses

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
            (ops that need weight data are left unfolded, with a note).
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
            var graph = try checkpoint.map { try DebertaGraphBuilder.build(checkpoint: $0) }
                ?? DebertaGraphBuilder.build(config: modelConfig)
            // One compile reads each weight a few times at most: no fp32 cache of the checkpoint.
            let store = ConstantStore(base: checkpoint.map { CheckpointConstants(checkpoint: $0, caching: false) })
            let context = PassContext(constants: store, maxSequenceLength: modelConfig.maxPositionEmbeddings)
            try pipeline.run(&graph, context: context)
            if let output {
                switch kind {
                case .ir:
                    try writeOutput(graph.printed(), to: output)
                case .llvm, .asm, .obj, .so:
                    try compileNative(graph, store: store, config: modelConfig, output: output)
                }
            }
            pipeline.printMemoryPlanIfRequested(graph, defaultLength: modelConfig.maxPositionEmbeddings,
                                                stdoutTaken: output == "-")
        }
    }

    /// The backend's part: LLVM IR, assembly, an object or a shared object at `output`.
    private func compileNative(_ graph: Graph, store: ConstantStore, config: DebertaConfig, output: String) throws {
        var options = BackendOptions()
        options.emit = EmitKind(rawValue: kind.rawValue) ?? .so
        options.externalWeights = externalWeights
        options.compilerVersion = DebertacVersion.string
        options.target = TargetSelection(cpu: targetCPU, features: targetFeatures)
        if !quiet { options.progress = { printError("debertac: \($0)") } }
        _ = try Backend.compile(graph: graph, constants: store, config: config, output: output, options: options)
    }
}
