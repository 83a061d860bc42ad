import DebertacBackend
import DebertacFrontend
import DebertacIR
import DebertacPasses
import DebertacTokenizer
import Foundation
import Testing

/// The committed fixtures (Tests/Fixtures/README.md), their goldens, and compiled `.so`s of
/// them, shared by every test in the process.
enum BackendFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let root = repository + "/Tests/Fixtures"
    static let tinyNLI = repository + "/examples/tiny-nli"
    /// The trained example with its tokenizer: the fixture of the text calls.
    static let syntheticNLI = repository + "/examples/synthetic-nli"

    /// Every fixture with a golden: `models/<variant>`, `formats/<format>`, and `tiny-nli`.
    static let all: [String] = {
        func folders(_ kind: String) -> [String] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + kind)) ?? []
            return names.filter { FileManager.default.fileExists(atPath: root + "/\(kind)/\($0)/golden.json") }
                .sorted().map { "\(kind)/\($0)" }
        }
        return folders("models") + folders("formats") + ["tiny-nli"]
    }()

    /// The `models/*` fixtures.
    static var models: [String] { all.filter { $0.hasPrefix("models/") } }

    /// The folder of fixture `name`.
    static func folder(_ name: String) -> String {
        switch name {
        case "tiny-nli": tinyNLI
        case "synthetic-nli": syntheticNLI
        default: root + "/" + name
        }
    }

    /// The checkpoint path of fixture `name`: its folder, or the file in it when the file has
    /// no standard name (`torch-zip-renamed-root/weights.bin`).
    static func checkpoint(_ name: String) -> String {
        let renamed = folder(name) + "/weights.bin"
        return FileManager.default.fileExists(atPath: renamed) ? renamed : folder(name)
    }

    /// An empty folder `name` in `scratch` (removed and made again).
    static func freshDirectory(_ name: String) throws -> String {
        let path = scratch + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A fresh directory for this test process's outputs.
    static let scratch: String = {
        let path = NSTemporaryDirectory() + "debertac-backend-tests-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: BackendFixtures.scratch) }
        return path
    }()
}

/// How a fixture is compiled.
enum Variant: String, CaseIterable, Sendable, CustomStringConvertible {
    /// The default pass pipeline, weights inside the .so.
    case embedded
    /// The default pass pipeline, `--external-weights`.
    case external
    /// No passes (the builder's unfused graph), weights inside.
    case unfused
    /// The default pass pipeline with `--precision bf16` / `int8`, weights inside.
    case bf16, int8

    /// The `--precision` of the variant.
    var precision: ComputePrecision { ComputePrecision(rawValue: rawValue) ?? .fp32 }

    var description: String { rawValue }
}

/// Compiles each (fixture, variant) once per process, in parallel, and hands out the path.
actor CompiledArtifacts {
    static let shared = CompiledArtifacts()
    private var tasks: [String: Task<String, any Error>] = [:]

    /// The `.so` of `fixture` compiled as `variant`.
    func library(_ fixture: String, _ variant: Variant) async throws -> String {
        let key = "\(fixture)#\(variant)"
        if let task = tasks[key] { return try await task.value }
        let task = Task.detached { () throws -> String in
            let directory = BackendFixtures.scratch + "/" + key.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "#", with: "-")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let output = directory + "/nli.so"
            let checkpoint = try Checkpoint.load(path: BackendFixtures.checkpoint(fixture))
            var options = BackendOptions()
            options.externalWeights = variant == .external
            options.compilerVersion = "test"
            options.precision = variant.precision
            // A fixture folder with a tokenizer compiles it in, as `debertac compile` does.
            if let tokenizer = try TokenizerModel.load(path: BackendFixtures.folder(fixture)) {
                options.tokenizer = try tokenizer.serialized()
            }
            _ = try Backend.compile(checkpoint: checkpoint, output: output, options: options,
                                    passes: variant == .unfused ? [] : nil)
            return output
        }
        tasks[key] = task
        return try await task.value
    }
}

/// A golden.json (format in Tests/Fixtures/README.md): inputs and HF logits per batch.
struct Golden {
    struct Batch {
        let name: String
        let inputIds: [[Int32]]
        let attentionMask: [[Int32]]
        let tokenTypeIds: [[Int32]]?
        let logits: [[Float]]
    }

    let batches: [Batch]

    static func load(_ fixture: String) throws -> Golden {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: BackendFixtures.folder(fixture) + "/golden.json")))
        let json = try JSONParser.parse(bytes)
        func rows(_ value: JSONValue?) -> [[Int32]] {
            (value?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) } }
        }
        let batches = (json["batches"]?.arrayValue ?? []).map { entry in
            Batch(name: entry["name"]?.stringValue ?? "", inputIds: rows(entry["input_ids"]),
                  attentionMask: rows(entry["attention_mask"]),
                  tokenTypeIds: entry["token_type_ids"].map { rows($0) },
                  logits: (entry["logits"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap { $0.doubleValue.map(Float.init) } })
        }
        return Golden(batches: batches)
    }
}
