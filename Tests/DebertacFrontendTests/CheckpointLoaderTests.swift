@testable import DebertacFrontend
import Testing

@Suite struct CheckpointLoaderTests {
    func tinyConfig() throws -> DebertaConfig {
        try DebertaConfig(json: JSONParser.parse(Array(tinyConfigJSON.utf8)), file: "config.json")
    }

    @Test func loadsAFolderAndValidatesTheTensorSet() throws {
        let dir = try ScratchDirectory()
        try dir.write("config.json", tinyConfigJSON)
        try dir.write("model.safetensors", SafetensorsBuilder.complete(for: tinyConfig()).bytes())
        let checkpoint = try Checkpoint.load(path: dir.path)
        #expect(checkpoint.format == .safetensors)
        #expect(checkpoint.config.labels == ["CONTRADICTION", "NEUTRAL", "ENTAILMENT"])
        let report = TensorSetReport.check(checkpoint)
        #expect(report.isValid, "\(report)")
        #expect(checkpoint.tensor(named: "deberta.encoder.conv.conv.weight")?.shape == [8, 8, 3])
    }

    @Test func reportsMissingUnexpectedAndMisshapedTogether() throws {
        let dir = try ScratchDirectory()
        try dir.write("config.json", tinyConfigJSON)
        var builder = SafetensorsBuilder.complete(for: try tinyConfig())
        builder.tensors.removeAll { $0.name == "classifier.bias" }
        if let i = builder.tensors.firstIndex(where: { $0.name == "deberta.encoder.rel_embeddings.weight" }) {
            builder.tensors[i].shape = [4, 8]
            builder.tensors[i].values = Array(repeating: 0, count: 32)
        }
        builder.tensors.append(.init(name: "lm_predictions.bias", shape: [2], values: [0, 0]))
        builder.tensors.append(.init(name: "deberta.embeddings.position_ids", dtype: "F32", shape: [1], values: [0]))
        try dir.write("model.safetensors", builder.bytes())
        let report = TensorSetReport.check(try Checkpoint.load(path: dir.path))
        #expect(report.missing.map(\.name) == ["classifier.bias"])
        #expect(report.unexpected.map(\.name) == ["lm_predictions.bias"])
        #expect(report.misshaped == [.init(name: "deberta.encoder.rel_embeddings.weight", shape: [4, 8], expected: [8, 8])])
        #expect(report.ignored == ["deberta.embeddings.position_ids"])
        #expect(report.description.contains("tensor 'deberta.encoder.rel_embeddings.weight' has shape [4, 8], expected [8, 8]"))
    }

    @Test func normalisesGammaBetaAndMissingPrefix() throws {
        let dir = try ScratchDirectory()
        try dir.write("config.json", tinyConfigJSON)
        var builder = SafetensorsBuilder.complete(for: try tinyConfig())
        for i in builder.tensors.indices {
            var name = builder.tensors[i].name
            if name.hasPrefix("deberta.") { name.removeFirst("deberta.".count) }
            name = name.replacingOccurrences(of: "LayerNorm.weight", with: "LayerNorm.gamma")
            builder.tensors[i].name = name.replacingOccurrences(of: "LayerNorm.bias", with: "LayerNorm.beta")
        }
        try dir.write("weights.bin", builder.bytes())
        let checkpoint = try Checkpoint.load(path: dir.path + "/weights.bin")
        #expect(TensorSetReport.check(checkpoint).isValid)
    }

    @Test func readsAShardedSafetensorsIndex() throws {
        let dir = try ScratchDirectory()
        try dir.write("config.json", tinyConfigJSON)
        let all = SafetensorsBuilder.complete(for: try tinyConfig()).tensors
        let half = all.count / 2
        try dir.write("a.safetensors", SafetensorsBuilder(tensors: Array(all[..<half])).bytes())
        try dir.write("b.safetensors", SafetensorsBuilder(tensors: Array(all[half...])).bytes())
        let map = all.enumerated().map { "\"\($0.element.name)\": \"\($0.offset < half ? "a" : "b").safetensors\"" }
        try dir.write("model.safetensors.index.json", "{\"metadata\": {}, \"weight_map\": {\(map.joined(separator: ", "))}}")
        let checkpoint = try Checkpoint.load(path: dir.path)
        #expect(checkpoint.weightFiles.count == 2)
        #expect(TensorSetReport.check(checkpoint).isValid)
    }

    @Test func shardIndexCannotEscapeItsFolder() throws {
        let dir = try ScratchDirectory()
        try dir.write("config.json", tinyConfigJSON)
        try dir.write("model.safetensors.index.json", #"{"weight_map": {"a": "../../etc/passwd"}}"#)
        #expect(throws: CheckpointError.self) { try Checkpoint.load(path: dir.path) }
    }

    @Test func folderWithoutWeightsOrConfig() throws {
        let dir = try ScratchDirectory()
        #expect { try Checkpoint.load(path: dir.path) } throws: { error in
            (error as? CheckpointError)?.description.contains("model.safetensors") == true
        }
        try dir.write("model.safetensors", SafetensorsBuilder.complete(for: try tinyConfig()).bytes())
        #expect { try Checkpoint.load(path: dir.path) } throws: { error in
            (error as? CheckpointError)?.description.contains("config.json") == true
        }
    }

    @Test func unknownAndEmptyFiles() throws {
        let dir = try ScratchDirectory()
        try dir.write("config.json", tinyConfigJSON)
        let garbage = try dir.write("garbage.bin", Array("this is not a checkpoint at all".utf8))
        #expect(throws: CheckpointError.unknownFormat(file: garbage)) { try Checkpoint.load(path: garbage) }
        let empty = try dir.write("empty.bin", [UInt8]())
        #expect(throws: CheckpointError.self) { try Checkpoint.load(path: empty) }
    }
}
