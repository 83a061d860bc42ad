import ArgumentParser
import DebertacFrontend

/// `debertac inspect PATH`: configuration summary and tensor table of a checkpoint.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a checkpoint's configuration and tensors, and check them against each other.",
        discussion: """
            PATH is a weights file (model.safetensors, pytorch_model.bin, a shard index .json) or a \
            Hugging Face model folder. Tensor data is memory-mapped and never read. Exits with status 1 \
            when the tensors do not match config.json, after listing every difference.
            """
    )

    @Argument(help: "Checkpoint file or model folder.")
    var path: String

    @Option(help: "config.json to use instead of the one next to the weights.")
    var config: String?

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    func run() throws {
        try reportingErrors {
            let checkpoint = try Checkpoint.load(path: path, configPath: config)
            let report = TensorSetReport.check(checkpoint)
            let summary = CheckpointSummary(path: path, checkpoint: checkpoint, report: report)
            print(json ? summary.json.serialized() : summary.text)
            if !report.isValid {
                if !json { printError("error: \(report)") }
                throw ExitCode.failure
            }
        }
    }
}
