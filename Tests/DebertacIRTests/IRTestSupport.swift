import DebertacFrontend
import DebertacIR
import Foundation
import Testing

/// Fixture paths and small configurations shared by the IR tests.
enum IRFixtures {
    /// `Tests/Fixtures`.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path
    /// The repository root (for docs/ir.md).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// `Tests/Fixtures/models/<variant>`.
    static func model(_ variant: String) -> String { root + "/models/" + variant }

    /// Every variant folder under `models/` that has a config.json.
    static var modelVariants: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/models")) ?? []
        return names.filter { FileManager.default.fileExists(atPath: model($0) + "/config.json") }.sorted()
    }

    /// Tensor name → shape from a fixture's `tensors.json`.
    static func tensorShapes(_ variant: String) throws -> [String: [Int]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: model(variant) + "/tensors.json"))
        let json = try JSONParser.parse([UInt8](data))
        var shapes: [String: [Int]] = [:]
        for (name, entry) in json["tensors"]?.objectValue ?? [] {
            shapes[name] = entry["shape"]?.arrayValue?.compactMap(\.intValue) ?? []
        }
        return shapes
    }

    /// A small flagship-like configuration (xxlarge structure, toy sizes).
    static var base: DebertaConfig {
        var c = DebertaConfig()
        c.vocabSize = 50
        c.hiddenSize = 32
        c.numHiddenLayers = 2
        c.numAttentionHeads = 4
        c.intermediateSize = 64
        c.maxPositionEmbeddings = 64
        c.relativeAttention = true
        c.positionBuckets = 8
        c.normRelEbd = ["layer_norm"]
        c.shareAttKey = true
        c.posAttType = ["p2c", "c2p"]
        c.positionBiasedInput = false
        c.labels = ["a", "b", "c"]
        return c
    }
}

/// A named configuration, for parameterised tests.
struct ConfigVariant: Sendable, CustomTestStringConvertible {
    let name: String
    let config: DebertaConfig
    var testDescription: String { name }

    init(_ name: String, _ change: (inout DebertaConfig) -> Void) {
        var config = IRFixtures.base
        change(&config)
        self.name = name
        self.config = config
    }

    /// One variant per configuration axis the builder supports.
    static let all: [ConfigVariant] = [
        ConfigVariant("flagship-like") { $0.convKernelSize = 3; $0.convAct = "gelu" },
        ConfigVariant("position-biased-types") { $0.positionBiasedInput = true; $0.typeVocabSize = 2 },
        ConfigVariant("embed-proj") { $0.embeddingSize = 16 },
        ConfigVariant("no-relative") { $0.relativeAttention = false },
        ConfigVariant("c2p-only") { $0.posAttType = ["c2p"] },
        ConfigVariant("p2c-only") { $0.posAttType = ["p2c"] },
        ConfigVariant("no-pos-att") { $0.posAttType = [] },
        ConfigVariant("unshared-keys") { $0.shareAttKey = false },
        ConfigVariant("unshared-c2p") { $0.shareAttKey = false; $0.posAttType = ["c2p"] },
        ConfigVariant("no-rel-norm") { $0.normRelEbd = ["none"] },
        ConfigVariant("no-buckets") { $0.positionBuckets = -1; $0.maxRelativePositions = 16 },
        ConfigVariant("max-relative") { $0.maxRelativePositions = 32 },
        ConfigVariant("conv-k5-g4-tanh") { $0.convKernelSize = 5; $0.convGroups = 4; $0.convAct = "tanh" },
        ConfigVariant("conv-k1-sigmoid") { $0.convKernelSize = 1; $0.convAct = "sigmoid" },
        ConfigVariant("conv-linear") { $0.convKernelSize = 3; $0.convAct = "linear" },
        ConfigVariant("regression") { $0.labels = ["score"] },
        ConfigVariant("head-size") { $0.attentionHeadSize = 8 },
        ConfigVariant("gelu-new") { $0.hiddenAct = "gelu_new"; $0.poolerHiddenAct = "tanh" },
        ConfigVariant("relu-silu") { $0.hiddenAct = "relu"; $0.poolerHiddenAct = "silu" },
        ConfigVariant("quick-gelu-linear") { $0.hiddenAct = "quick_gelu"; $0.poolerHiddenAct = "linear" },
        ConfigVariant("one-layer") { $0.numHiddenLayers = 1; $0.convKernelSize = 3 },
    ]
}

extension Graph {
    /// Op kind → number of ops of that kind.
    var opCounts: [OpKind: Int] {
        var counts: [OpKind: Int] = [:]
        for id in ops { counts[self[op: id].kind, default: 0] += 1 }
        return counts
    }

    /// The single op with result named `name`.
    func op(named name: String) -> Op? {
        value(named: name).flatMap { definingOp(of: $0) }.map { self[op: $0] }
    }
}
