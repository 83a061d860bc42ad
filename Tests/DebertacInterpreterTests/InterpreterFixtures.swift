import DebertacFrontend
import DebertacInterpreter
import Foundation
import Testing

/// Paths of the committed fixtures (Tests/Fixtures/README.md) and their goldens.
enum InterpreterFixtures {
    /// The repository root.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    /// `Tests/Fixtures`.
    static let root = repository + "/Tests/Fixtures"
    /// `examples/tiny-nli`: the fp16 quick-start checkpoint.
    static let tinyNLI = repository + "/examples/tiny-nli"

    /// `Tests/Fixtures/models/<variant>`.
    static func model(_ variant: String) -> String { root + "/models/" + variant }

    /// Every variant folder under `models/` that has a golden.json.
    static var modelVariants: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/models")) ?? []
        return names.filter { FileManager.default.fileExists(atPath: model($0) + "/golden.json") }.sorted()
    }

    /// The batches every model golden holds.
    static let batchNames = ["single", "padded", "short"]

    /// The bytes of `path`.
    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// A golden.json: Hugging Face outputs for a few batches (format in Tests/Fixtures/README.md).
struct Golden {
    struct Batch {
        let name: String
        let input: InferenceInput
        /// `[B][num_labels]`.
        let logits: [[Float]]
        /// `[L + 1]` layers, each flattened `[B, T, hidden]` row-major.
        let hiddenStates: [[Float]]
    }

    let batches: [Batch]
    /// HF's `build_relative_position` for T = 24, before `+ att_span` and the clamp.
    let relativePositionIndex: [[Int]]?

    /// Parses `path` with the project's JSON parser; floats are read as `Float`.
    static func load(_ path: String) throws -> Golden {
        let json = try JSONParser.parse(try InterpreterFixtures.bytes(path))
        var batches: [Batch] = []
        for entry in json["batches"]?.arrayValue ?? [] {
            let types = entry["token_type_ids"].map(int32Rows)
            let input = InferenceInput(inputIds: int32Rows(entry["input_ids"]),
                                       attentionMask: int32Rows(entry["attention_mask"]), tokenTypeIds: types)
            let logits = (entry["logits"]?.arrayValue ?? []).map(floats)
            let hidden = (entry["hidden_states"]?.arrayValue ?? []).map { layer in
                (layer.arrayValue ?? []).flatMap { row in (row.arrayValue ?? []).flatMap(floats) }
            }
            batches.append(Batch(name: entry["name"]?.stringValue ?? "", input: input, logits: logits, hiddenStates: hidden))
        }
        let table = json["relative_position_index"]?.arrayValue?.map { ($0.arrayValue ?? []).compactMap(\.intValue) }
        return Golden(batches: batches, relativePositionIndex: table)
    }

    private static func int32Rows(_ value: JSONValue?) -> [[Int32]] {
        (value?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) } }
    }

    private static func floats(_ value: JSONValue) -> [Float] {
        (value.arrayValue ?? []).compactMap { $0.doubleValue.map(Float.init) }
    }
}
