import ArgumentParser
import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import DebertacPasses

/// `debertac opt FILE.ir`: runs passes over textual IR and prints the result (MLIR's `mlir-opt`).
struct OptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opt",
        abstract: "Run optimisation passes over textual IR and print the resulting IR.",
        discussion: """
            FILE is IR text (docs/ir.md), or '-' for standard input. Runs the default pipeline unless \
            --passes is given ('--passes=' runs none). IR text names constants but holds no data: \
            without --checkpoint, fold-constants folds only ops that need no weights (the relative \
            position table) and leaves the others, with a note on stderr. With --checkpoint, constants \
            are read from that checkpoint and folded like 'compile' does.
            """
    )

    @Argument(help: "IR file, or '-' for standard input.")
    var file: String?

    @Option(name: .shortAndLong, help: "Write the IR here (written to a temporary name, then renamed) instead of stdout.")
    var output = "-"

    @Option(help: "Checkpoint file or model folder that supplies the constants' data.")
    var checkpoint: String?

    @OptionGroup var pipeline: PipelineOptions

    func validate() throws {
        if file == nil && !pipeline.listPasses { throw ValidationError("missing the IR file (or '-' for standard input)") }
    }

    func run() throws {
        guard let file, !pipeline.listPasses else {
            print(PipelineOptions.passList)
            return
        }
        try reportingErrors {
            let text = String(decoding: try readInput(file), as: UTF8.self)
            var graph: Graph
            do {
                graph = try Graph.parse(text)
            } catch {
                throw IRFileError(path: file, message: "\(error)")
            }
            let weights = try checkpoint.map { try Checkpoint.load(path: $0) }
            let store = ConstantStore(base: weights.map { CheckpointConstants(checkpoint: $0, caching: false) })
            let maxLength = pipeline.maxLength ?? weights?.config.maxPositionEmbeddings ?? 512
            try pipeline.run(&graph, context: PassContext(constants: store, maxSequenceLength: maxLength, precision: pipeline.precision))
            try writeOutput(graph.printed(), to: output)
            pipeline.printMemoryPlanIfRequested(graph, defaultLength: maxLength, stdoutTaken: output == "-")
        }
    }
}

/// IR text that does not parse: `FILE:line:column: message`.
struct IRFileError: Error, CustomStringConvertible {
    let path: String
    let message: String
    var description: String { "\(path == "-" ? "<stdin>" : path):\(message)" }
}
