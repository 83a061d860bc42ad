import DebertacFrontend
import Foundation
import Testing

/// `debertac opt` and `debertac compile --emit=ir` end to end: pass selection, IR dumps,
/// statistics, the memory plan, and outputs that appear only when everything succeeded.
@Suite struct OptCompileCommandTests {
    static let model = "Tests/Fixtures/models/xxlarge-toy"

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "debertac-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func compileEmitsOptimisedIR() throws {
        let result = try CommandRunner.run(["compile", Self.model, "--emit=ir", "-o", "-", "--stats"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("// debertac IR\n"))
        #expect(result.stdout.contains("disentangled_attention_qkv("))
        #expect(!result.stdout.contains("c2p_scores"))
        #expect(result.stdout.contains("%hidden.2 = add_layer_norm("))
        // One --stats line per pass, in pipeline order.
        let stats = result.stderr.split(separator: "\n").map { String($0.prefix { $0 != ":" }) }
        #expect(stats == ["fold-attention-scale", "fuse-attention", "merge-qkv", "fuse-linear-epilogue", "fuse-prefix-rows",
                          "fold-constants", "fold-masks", "fuse-add-layer-norm", "cse", "dce", "assign-precision"])
    }

    @Test func optReadsIRAndRunsChosenPasses() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = directory + "/in.ir"
        let built = try CommandRunner.run(["compile", Self.model, "--emit=ir", "-o", input, "--passes="])
        #expect(built.status == 0, "\(built.stderr)")
        let original = try String(contentsOfFile: input, encoding: .utf8)
        #expect(original.contains("c2p_scores"))   // --passes= ran nothing

        let same = try CommandRunner.run(["opt", input, "--passes="])
        #expect(same.status == 0 && same.stdout == original, "\(same.stderr)")

        let fused = try CommandRunner.run(["opt", input, "--passes=fuse-attention,dce", "--print-ir-after=fuse-attention",
                                           "--print-ir-before=dce", "--dump-ir=\(directory)/dumps"])
        #expect(fused.status == 0, "\(fused.stderr)")
        #expect(fused.stdout.contains("disentangled_attention("))
        #expect(fused.stderr.contains("// -----// IR Dump After fuse-attention //----- //\n// debertac IR\n"))
        #expect(fused.stderr.contains("// -----// IR Dump Before dce //----- //\n"))
        let dumps = try FileManager.default.contentsOfDirectory(atPath: directory + "/dumps").sorted()
        #expect(dumps == ["00-input.ir", "01-fuse-attention.ir", "02-dce.ir"])
        #expect(try String(contentsOfFile: directory + "/dumps/02-dce.ir", encoding: .utf8) == fused.stdout)

        // Without a checkpoint, weight data is unknown: folding says what it skipped.
        let folded = try CommandRunner.run(["opt", input, "--stats"])
        #expect(folded.status == 0)
        #expect(folded.stderr.contains("note: fold-constants: left "))
        #expect(folded.stdout.contains("%rel.table = constant @fold.rel.table"))
        // With one, everything weights-only folds.
        let withWeights = try CommandRunner.run(["opt", input, "--checkpoint", Self.model, "--disable-pass=fold-masks"])
        #expect(withWeights.status == 0, "\(withWeights.stderr)")
        #expect(!withWeights.stderr.contains("note:"))
        #expect(withWeights.stdout.contains("%conv.masked = mask_rows("))   // fold-masks was disabled
    }

    @Test func memoryPlanOfAConfigAlone() throws {
        let result = try CommandRunner.run(["compile", "--config-only", Self.model + "/config.json", "--print-memory-plan",
                                            "--max-batch", "4", "--max-length", "32"])
        #expect(result.status == 0, "\(result.stderr)")
        let last = try #require(result.stdout.split(separator: "\n").last)
        let json = try JSONParser.parse(Array(last.utf8))
        let arena = try #require(json["arena_bytes"]?.intValue), bound = try #require(json["lower_bound_bytes"]?.intValue)
        #expect(arena >= bound && bound > 0)
        #expect(result.stdout.contains("%hidden.0"))
    }

    @Test func failuresLeaveNothingBehind() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let unknown = try CommandRunner.run(["compile", Self.model, "--emit=ir", "-o", directory + "/x.ir", "--passes=fold,dce"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("error: unknown pass 'fold', expected one of: "))
        let broken = try CommandRunner.run(["opt", "-", "-o", directory + "/y.ir"], stdin: "// debertac IR\ngraph @g(")
        #expect(broken.status == 1)
        #expect(broken.stderr.hasPrefix("error: <stdin>:2:"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }
}

/// `--precision` on `opt` / `compile --emit=ir`, and `compile --check-accuracy`.
@Suite struct PrecisionCommandTests {
    @Test func precisionMarksPerTokenLinears() throws {
        let result = try CommandRunner.run(["compile", OptCompileCommandTests.model, "--emit=ir", "-o", "-", "--precision", "int8", "--stats"])
        #expect(result.status == 0, "\(result.stderr)")
        let linears = result.stdout.split(separator: "\n").filter { $0.contains(" = linear(") || $0.contains(" = linear_act(") }
        // Per-token linears carry the precision; the head (pooler, classifier: one row per sequence) stays fp32.
        #expect(linears.filter { $0.contains("{precision = \"int8\"}") || $0.contains("precision = \"int8\"}") }.count == linears.count - 2,
                "\(linears.joined(separator: "\n"))")
        #expect(result.stderr.contains("assign-precision: 2 attention ops in bf16, \(linears.count - 2) linears in int8"), "\(result.stderr)")
        #expect(result.stdout.contains("disentangled_attention_qkv(") && result.stdout.contains("precision = \"bf16\""))
        let fp32 = try CommandRunner.run(["compile", OptCompileCommandTests.model, "--emit=ir", "-o", "-"])
        #expect(!fp32.stdout.contains("precision"))
        let bad = try CommandRunner.run(["compile", OptCompileCommandTests.model, "--emit=ir", "-o", "-", "--precision", "fp16"])
        #expect(bad.status != 0 && bad.stderr.contains("fp16"), "\(bad.stderr)")
    }

    @Test func checkAccuracyReportsAgreement() throws {
        let directory = try OptCompileCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try CommandRunner.run(["compile", OptCompileCommandTests.model, "-o", directory + "/nli.so", "--precision", "bf16",
                                            "--check-accuracy", "20", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        // e.g. "accuracy: 20 random sequences (lengths 4–64), the .so against the fp32 interpreter: argmax agrees on 20 of 20 (100.0 %), ..."
        #expect(result.stdout.hasPrefix("accuracy: 20 random sequences"), "\(result.stdout)")
        #expect(result.stdout.contains("argmax agrees on") && result.stdout.contains("max |Δlogit|"))
        let refused = try CommandRunner.run(["compile", OptCompileCommandTests.model, "--emit=ir", "-o", "-", "--check-accuracy", "5"])
        #expect(refused.status != 0 && refused.stderr.contains("--check-accuracy"))
    }
}
