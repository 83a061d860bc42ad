import ArgumentParser
import DebertacFrontend
import DebertacRuntime

/// `debertac zero-shot nli.so TEXT --labels a,b,c`: Hugging Face's zero-shot classification.
struct ZeroShotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zero-shot",
        abstract: "Score candidate labels for a text with a compiled NLI model, as Hugging Face's zero-shot pipeline.",
        discussion: """
            Each label becomes the hypothesis TEMPLATE with '{}' replaced by the label, paired with TEXT; \
            the scores are the softmax of the entailment logits over the labels, or with --multi-label \
            each label's softmax over contradiction and entailment (docs/abi.md, debertac_zero_shot). \
            Prints the labels sorted by score, as the pipeline returns them; --json prints \
            {"sequence": ..., "labels": [...], "scores": [...]}.
            """
    )

    @Argument(help: "A .so compiled by 'debertac compile' from a checkpoint with its tokenizer.")
    var model: String

    @Argument(help: "The text to classify.")
    var text: String

    @Option(help: "Candidate labels, separated by commas (blank ones are dropped, as the pipeline does).")
    var labels: String

    @Option(help: "Hypothesis template; '{}' is replaced by each label.")
    var template = "This example is {}."

    @Flag(name: .customLong("multi-label"), help: "Score each label on its own (several may be true).")
    var multiLabel = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "For a .so built with --external-weights: its weights file (default: MODEL.weights).")
    var weights: String?

    func run() throws {
        try reportingErrors {
            // The pipeline's _parse_labels: split at commas, strip, drop empty ones.
            let candidates = labels.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: " \t\n\r") }.filter { !$0.isEmpty }
            guard !candidates.isEmpty else { throw ValidationError("--labels names no label") }
            try CheckpointTokenizer.requireExists(model)
            guard isSharedObject(model) else {
                throw TokenizerLookupError(message: "'\(model)' is not a compiled .so: compile it first with 'debertac compile'")
            }
            let compiled = try CompiledModel(path: model, weightsPath: weights)
            let session = try compiled.makeSession(maxBatch: min(candidates.count, 16))
            let result = try session.zeroShot(text, labels: candidates, template: template, multiLabel: multiLabel)
            let ranked = Array(zip(result.labels, result.scores))
            if json {
                let value: JSONValue = .object([
                    (key: "sequence", value: .string(text)),
                    (key: "labels", value: .array(ranked.map { .string($0.0) })),
                    (key: "scores", value: .array(ranked.map { .double(Double($0.1)) })),
                ])
                print(value.serialized())
            } else {
                let width = ranked.map(\.0.count).max() ?? 0
                for (label, score) in ranked {
                    print(label + String(repeating: " ", count: width - label.count + 2) + String(format6(score)))
                }
            }
        }
    }

    private func format6(_ value: Float) -> String {
        let scaled = (Double(value) * 1_000_000).rounded() / 1_000_000
        return String(scaled)
    }
}

extension Substring {
    /// The text without leading and trailing characters of `set`.
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
