@testable import DebertacBackend
import DebertacRuntime
import DebertacFrontend
import DebertacIR
import Foundation
import Testing

/// `--precision bf16|int8` beyond the goldens (GoldenParityTests has those): what the .so says
/// of itself, bit-identical results at any thread count, and targets without the instructions
/// (a fallback for bf16, a compile error naming the feature for int8, a refusal at
/// `debertac_model_open` on a CPU that lacks what the code was compiled for).
@Suite struct PrecisionTests {
    static let fixture = "models/xxlarge-toy"

    func directory(_ name: String) throws -> String { try BackendFixtures.freshDirectory("precision-" + name) }

    func compile(_ output: String, precision: ComputePrecision, cpu: String? = nil) throws {
        var options = BackendOptions()
        options.precision = precision
        options.target = TargetSelection(cpu: cpu)
        _ = try Backend.compile(checkpoint: try Checkpoint.load(path: BackendFixtures.checkpoint(Self.fixture)),
                                output: output, options: options)
    }

    /// The worst |a − b| / (1 + |b|) of the .so at `path` against the fixture's HF goldens.
    func worstError(_ path: String) throws -> Float {
        let model = try CompiledModel(path: path)
        let session = try model.makeSession(maxBatch: 4, maxLength: model.maxSequenceLength)
        var worst: Float = 0
        for batch in try Golden.load(Self.fixture).batches {
            let logits = try session.classify(ids: batch.inputIds, mask: batch.attentionMask).map(\.logits)
            for (a, b) in zip(logits.joined(), batch.logits.joined()) { worst = max(worst, abs(a - b) / (1 + abs(b))) }
        }
        return worst
    }

    @Test("the model info names the precision", arguments: [Variant.bf16, .int8])
    func info(variant: Variant) async throws {
        let model = try CompiledModel(path: try await CompiledArtifacts.shared.library(Self.fixture, variant))
        let json = try JSONParser.parse(Array(model.info.utf8))
        #expect(json["precision"]?.stringValue == variant.rawValue)
    }

    /// A C host that classifies fixed pseudo-random ids and prints the logits' bits.
    static let bitsHost = """
        #include <dlfcn.h>
        #include <stdint.h>
        #include <stdio.h>
        #include <string.h>
        #include "debertac.h"
        int main(int argc, char **argv) {
            void *so = dlopen(argv[1], RTLD_NOW);
            if (!so) return 2;
            debertac_status (*open)(const char *, debertac_model **) = dlsym(so, "debertac_model_open");
            debertac_status (*create)(const debertac_model *, int32_t, int32_t, debertac_session **) = dlsym(so, "debertac_session_create");
            debertac_status (*classify)(debertac_session *, int32_t, int32_t, const int32_t *, const int32_t *, const int32_t *, float *) = dlsym(so, "debertac_classify");
            debertac_model *model; debertac_session *session;
            if (open(NULL, &model) || create(model, 3, 40, &session)) return 3;
            int32_t ids[3 * 40], mask[3 * 40];
            uint32_t state = 12345;
            for (int i = 0; i < 3 * 40; i++) { state = state * 1664525u + 1013904223u; ids[i] = 3 + (int32_t)(state >> 8) % 90; mask[i] = (i % 40) < 40 - 7 * (i / 40); }
            float logits[3 * 16];
            if (classify(session, 3, 40, ids, mask, NULL, logits)) return 4;
            for (int i = 0; i < 3 * 3; i++) { uint32_t bits; memcpy(&bits, &logits[i], 4); printf("%08x\\n", bits); }
            return 0;
        }
        """

    @Test("bf16 and int8 give the same bits at 1, 2 and 3 threads", arguments: [Variant.bf16, .int8])
    func threadCounts(variant: Variant) async throws {
        let library = try await CompiledArtifacts.shared.library(Self.fixture, variant)
        let dir = try directory("threads-\(variant)")
        try Self.bitsHost.write(toFile: dir + "/host.c", atomically: true, encoding: .utf8)
        try Tools.check(["cc", "-std=gnu11", "-I", BackendFixtures.repository + "/include", dir + "/host.c", "-o", dir + "/host", "-ldl"])
        let outputs = try ["1", "2", "3"].map { try Tools.check([dir + "/host", library], environment: ["DEBERTAC_NUM_THREADS": $0]) }
        #expect(outputs[0].split(separator: "\n").count == 9)
        #expect(outputs[1] == outputs[0] && outputs[2] == outputs[0])
    }

    @Test("x86-64-v3 (no AVX-512): bf16 falls back to bf16 weights in the fp32 kernel; int8 is refused naming avx512vnni")
    func portableTarget() throws {
        let dir = try directory("v3")
        try compile(dir + "/bf16.so", precision: .bf16, cpu: "x86-64-v3")
        #expect(try worstError(dir + "/bf16.so") <= GoldenParityTests.tolerance(.bf16))
        #expect(throws: BackendError.self) { try compile(dir + "/int8.so", precision: .int8, cpu: "x86-64-v3") }
        do {
            try compile(dir + "/int8.so", precision: .int8, cpu: "x86-64-v3")
        } catch {
            #expect("\(error)".contains("avx512vnni"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/int8.so"))
    }

    @Test("cascadelake (AVX-512 VNNI, no BF16): int8 uses VNNI, bf16 falls back; both match HF")
    func cascadeLake() throws {
        let dir = try directory("cascadelake")
        for precision in [ComputePrecision.bf16, .int8] {
            try compile(dir + "/\(precision).so", precision: precision, cpu: "cascadelake")
            #expect(try worstError(dir + "/\(precision).so") <= GoldenParityTests.tolerance(precision == .bf16 ? .bf16 : .int8))
        }
    }

    @Test("a .so compiled for instructions this CPU lacks refuses to open, naming them")
    func unsupportedCPU() throws {
        let host = HostTarget.current.features
        // Sapphire Rapids has AVX512-FP16, which this test's CPU must lack to run it.
        guard !host.contains("+avx512fp16") else { return }
        let dir = try directory("spr")
        try compile(dir + "/nli.so", precision: .fp32, cpu: "sapphirerapids")
        let opened = Result { try CompiledModel(path: dir + "/nli.so") }
        guard case let .failure(error) = opened else {
            Issue.record("a model compiled for sapphirerapids opened on a CPU without AVX512-FP16")
            return
        }
        let text = "\(error)"
        #expect(text.contains("unsupported cpu"), "\(text)")
        #expect(text.contains("avx512fp16") && text.contains("sapphirerapids"), "\(text)")
    }
}
