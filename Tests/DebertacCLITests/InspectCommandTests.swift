import DebertacFrontend
import Foundation
import Testing

/// `debertac inspect` on every committed checkpoint, and on broken ones.
@Suite struct InspectCommandTests {
    static let formats = ((try? FileManager.default.contentsOfDirectory(atPath: CommandRunner.root + "/Tests/Fixtures/formats")) ?? []).sorted()
    static let models = ((try? FileManager.default.contentsOfDirectory(atPath: CommandRunner.root + "/Tests/Fixtures/models")) ?? []).sorted()

    @Test func fixturesArePresent() {
        #expect(Self.formats.count >= 13 && Self.models.count >= 24)
    }

    @Test(arguments: formats)
    func inspectsEveryFormat(format: String) throws {
        // A folder, except where the fixture's point is an unusual file name.
        let folder = "Tests/Fixtures/formats/" + format
        let renamed = folder + "/weights.bin"
        let path = FileManager.default.fileExists(atPath: CommandRunner.root + "/" + renamed) ? renamed : folder
        let result = try CommandRunner.run(["inspect", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("tensor set: matches config.json"))
        #expect(result.stdout.contains("3 labels: CONTRADICTION, NEUTRAL, ENTAILMENT"))
    }

    @Test(arguments: models)
    func jsonSummaryOfEveryVariant(model: String) throws {
        let result = try CommandRunner.run(["inspect", "--json", "Tests/Fixtures/models/" + model])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONParser.parse(Array(result.stdout.utf8))
        #expect(json["validation"]?["valid"] == .bool(true))
        // The v1 format fixtures (v1-torch-zip-f16, v1-torch-legacy-f32) are the only non-safetensors models.
        if !model.contains("torch") { #expect(json["format"] == .string("safetensors")) }
        let tensors = json["tensors"]?.arrayValue ?? []
        let parameters = tensors.compactMap { $0["shape"]?.arrayValue?.compactMap(\.intValue).reduce(1, *) }.reduce(0, +)
        #expect(json["parameters"]?.intValue == parameters)
        #expect(json["config"]?["hidden_size"]?.intValue ?? 0 > 0)
    }

    @Test("inspect names the architecture, DeBERTa v1 or v2/v3", arguments: [
        ("v1-large-toy", "DeBERTa v1 (DebertaForSequenceClassification)"),
        ("xxlarge-toy", "DeBERTa-v2/v3 (DebertaV2ForSequenceClassification)"),
    ])
    func namesTheArchitecture(model: String, architecture: String) throws {
        let result = try CommandRunner.run(["inspect", "Tests/Fixtures/models/" + model])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("family      \(architecture)"))
        let json = try JSONParser.parse(Array(try CommandRunner.run(["inspect", "--json", "Tests/Fixtures/models/" + model]).stdout.utf8))
        #expect(json["config"]?["architecture"] == .string(architecture))
    }

    @Test func v1FixturesValidateInEveryFormat() throws {
        for model in ["v1-torch-zip-f16", "v1-torch-legacy-f32", "v1-safetensors-f16"] {
            let result = try CommandRunner.run(["inspect", "Tests/Fixtures/models/" + model])
            #expect(result.status == 0, "\(model): \(result.stderr)")
            #expect(result.stdout.contains("tensor set: matches config.json"))
            #expect(result.stdout.contains("in_proj.weight"))
        }
    }

    @Test func quickStartExample() throws {
        let result = try CommandRunner.run(["inspect", "examples/tiny-nli"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("pytorch-zip") && result.stdout.contains("F16"))
    }

    @Test(arguments: ["os-system.bin", "builtins-eval-legacy.bin", "subprocess-global.pkl"])
    func hostilePicklesAreRejectedByName(file: String) throws {
        let dir = try Scratch()
        try FileManager.default.copyItem(atPath: CommandRunner.root + "/Tests/Fixtures/hostile/" + file, toPath: dir.path + "/weights.bin")
        try FileManager.default.copyItem(atPath: CommandRunner.root + "/examples/tiny-nli/config.json", toPath: dir.path + "/config.json")
        let result = try CommandRunner.run(["inspect", dir.path + "/weights.bin"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: "))
        #expect(result.stderr.contains("is not allowed") || result.stderr.contains("not a checkpoint"))
        #expect(result.stdout.isEmpty)
    }

    /// Every prefix length of a real checkpoint at a few cut points: a clean error, never a crash.
    @Test(arguments: ["torch-zip-f16/pytorch_model.bin", "torch-legacy-f32/pytorch_model.bin", "safetensors-f32/model.safetensors"])
    func truncatedCheckpointsFailCleanly(file: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: CommandRunner.root + "/Tests/Fixtures/formats/" + file))
        let dir = try Scratch()
        try FileManager.default.copyItem(atPath: CommandRunner.root + "/examples/tiny-nli/config.json", toPath: dir.path + "/config.json")
        for cut in [0, 5, 8, 30, 64, 200, data.count / 3, data.count / 2, data.count - 30, data.count - 1] {
            try data.prefix(cut).write(to: URL(fileURLWithPath: dir.path + "/weights.bin"))
            let result = try CommandRunner.run(["inspect", dir.path + "/weights.bin"])
            #expect(result.status == 1, "cut at \(cut): status \(result.status)")
            #expect(result.stderr.hasPrefix("error: "), "cut at \(cut): \(result.stderr)")
        }
    }

    @Test func mismatchedConfigListsEveryProblem() throws {
        let result = try CommandRunner.run([
            "inspect", "Tests/Fixtures/models/v3-toy", "--config", "Tests/Fixtures/models/xxlarge-toy/config.json",
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("has shape [96, 48], expected [96, 32]"))
        #expect(result.stderr.contains("is missing"))
        #expect(result.stdout.contains("does NOT match"))
    }

    @Test func missingPathAndBadArguments() throws {
        let missing = try CommandRunner.run(["inspect", "no/such/folder"])
        #expect(missing.status == 1 && missing.stderr.contains("'no/such/folder': no such file or folder"))
        let usage = try CommandRunner.run(["inspect"])
        #expect(usage.status == 64)
    }
}

/// A temporary folder removed when dropped.
final class Scratch {
    let path = NSTemporaryDirectory() + "debertac-cli-" + UUID().uuidString
    init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
