import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import DebertacPasses
import Foundation
import Testing

/// Paths of the committed fixtures (Tests/Fixtures/README.md).
enum PassFixtures {
    /// The repository root.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    /// `Tests/Fixtures`.
    static let root = repository + "/Tests/Fixtures"

    /// `Tests/Fixtures/models/<variant>`.
    static func model(_ variant: String) -> String { root + "/models/" + variant }

    /// Every variant folder under `models/` with a golden.json (14).
    static var modelVariants: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/models")) ?? []
        return names.filter { FileManager.default.fileExists(atPath: model($0) + "/golden.json") }.sorted()
    }

    /// The data-driven pass tests: `Tests/Fixtures/passes/*.ir`.
    static var irCases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/passes")) ?? []
        return names.filter { $0.hasSuffix(".ir") }.sorted()
    }
}

/// Running passes the way tests must: verifying after every pass.
enum PassRunner {
    /// Runs `passes` over `graph` with the verifier after each pass; returns the records.
    @discardableResult
    static func run(_ graph: inout Graph, passes: [any Pass], context: PassContext) throws -> [PassRecord] {
        let manager = PassManager(passes: passes, instrumentation: PassInstrumentation(verifyEach: true))
        return try manager.run(&graph, context: context)
    }

    /// Loads a fixture checkpoint, builds its graph, and a fresh context over its weights.
    static func fixture(_ variant: String) throws -> (checkpoint: Checkpoint, graph: Graph, context: PassContext) {
        let checkpoint = try Checkpoint.load(path: PassFixtures.model(variant))
        let graph = try DebertaGraphBuilder.build(checkpoint: checkpoint)
        let context = PassContext(constants: ConstantStore(base: CheckpointConstants(checkpoint: checkpoint)),
                                  maxSequenceLength: checkpoint.config.maxPositionEmbeddings)
        return (checkpoint, graph, context)
    }
}

/// A golden.json: Hugging Face outputs for a few batches (format in Tests/Fixtures/README.md).
struct Golden {
    struct Batch {
        let name: String
        let input: InferenceInput
        /// `[B][num_labels]`, flattened.
        let logits: [Float]
        /// `[L + 1]` layers, each flattened `[B, T, hidden]` row-major.
        let hiddenStates: [[Float]]
    }

    let batches: [Batch]

    /// Parses `path` with the project's JSON parser.
    static func load(_ path: String) throws -> Golden {
        let json = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        func rows(_ value: JSONValue?) -> [[Int32]] {
            (value?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) } }
        }
        func flat(_ value: JSONValue) -> [Float] {
            if let array = value.arrayValue { return array.flatMap(flat) }
            return value.doubleValue.map { [Float($0)] } ?? []
        }
        let batches = (json["batches"]?.arrayValue ?? []).map { entry in
            Batch(name: entry["name"]?.stringValue ?? "",
                  input: InferenceInput(inputIds: rows(entry["input_ids"]), attentionMask: rows(entry["attention_mask"]),
                                        tokenTypeIds: entry["token_type_ids"].map(rows)),
                  logits: entry["logits"].map(flat) ?? [],
                  hiddenStates: (entry["hidden_states"]?.arrayValue ?? []).map(flat))
        }
        return Golden(batches: batches)
    }
}

/// Comparison with Hugging Face goldens: |a − b| ≤ 1e-4 · (1 + |b|) for logits and for
/// hidden states at real tokens (padding rows are meaningless).
enum GoldenCheck {
    static let tolerance: Float = 1e-4

    /// Runs `graph` on every golden batch of `variant` and records an issue per mismatch.
    /// Returns the worst |a − b| / (1 + |b|).
    @discardableResult
    static func check(_ graph: Graph, constants: any ConstantProvider, config: DebertaConfig, variant: String,
                      label: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Float {
        let golden = try Golden.load(PassFixtures.model(variant) + "/golden.json")
        let interpreter = try Interpreter(graph: graph, constants: constants)
        let layers = config.numHiddenLayers
        var worst: Float = 0
        for batch in golden.batches {
            let names = ["logits"] + (0...layers).map { "hidden.\($0)" }
            let values = try interpreter.run(batch.input, values: names)
            worst = max(worst, compare(try #require(values["logits"]).floats, batch.logits,
                                       "\(label) \(batch.name) logits", sourceLocation))
            let width = config.hiddenSize
            let real = batch.input.attentionMask.flatMap { $0 }
            for (layer, expected) in batch.hiddenStates.enumerated() where layer <= layers {
                let got = try #require(values["hidden.\(layer)"], "\(label): no %hidden.\(layer)").floats
                var a: [Float] = [], b: [Float] = []
                for row in real.indices where real[row] == 1 {
                    a += got[(row * width)..<((row + 1) * width)]
                    b += expected[(row * width)..<((row + 1) * width)]
                }
                worst = max(worst, compare(a, b, "\(label) \(batch.name) hidden.\(layer)", sourceLocation))
            }
        }
        return worst
    }

    static func compare(_ actual: [Float], _ expected: [Float], _ what: String, _ sourceLocation: SourceLocation) -> Float {
        guard actual.count == expected.count else {
            Issue.record("\(what): \(actual.count) values, golden has \(expected.count)", sourceLocation: sourceLocation)
            return .infinity
        }
        var worst: Float = 0
        for (i, (a, b)) in zip(actual, expected).enumerated() {
            let error = abs(a - b) / (1 + abs(b))
            if !(error <= tolerance) {
                Issue.record("\(what)[\(i)]: \(a), HF \(b)", sourceLocation: sourceLocation)
                return .infinity
            }
            worst = max(worst, error)
        }
        return worst
    }
}

/// Deterministic test data.
enum TestData {
    /// Values in [-1, 1) from a seed.
    static func floats(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Double(state >> 40) / Double(1 << 24) * 2 - 1)
        }
    }

    /// A seed from a name (FNV-1a), so each constant gets its own values.
    static func seed(_ name: String) -> UInt64 {
        name.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}
