import DebertacBackend
import DebertacRuntime
import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import Testing

/// Every committed fixture, compiled and loaded in-process, against the Hugging Face goldens:
/// logits within |a − b| ≤ 2e-4 · (1 + |b|) on every golden batch (padded ones included), with
/// the default pipeline (weights embedded and external) and with the unfused graph; and at the
/// reduced precisions (docs/precision.md) within |a − b| ≤ τ · (1 + |b|), τ = 2⁻⁵ for bf16 (8 ×
/// bfloat16's relative rounding error 2⁻⁸, for errors that add up over layers) and 2⁻⁴ for
/// int8 (16 × the 1/255 activation step).
@Suite struct GoldenParityTests {
    static let tolerance: Float = 2e-4

    static func tolerance(_ variant: Variant) -> Float {
        switch variant.precision {
        case .fp32: tolerance
        case .bf16: 1.0 / 32
        case .int8: 1.0 / 16
        }
    }

    @Test("compiled fixtures match HF", arguments: BackendFixtures.all, [Variant.embedded, .external])
    func parity(fixture: String, variant: Variant) async throws {
        try await check(fixture, variant)
    }

    @Test("compiled fixtures match HF at bf16 and int8", arguments: BackendFixtures.all, [Variant.bf16, .int8])
    func reducedPrecision(fixture: String, variant: Variant) async throws {
        try await check(fixture, variant)
    }

    @Test("unfused graphs compile and match HF", arguments: BackendFixtures.models)
    func unfused(fixture: String) async throws {
        try await check(fixture, .unfused)
    }

    func check(_ fixture: String, _ variant: Variant) async throws {
        let path = try await CompiledArtifacts.shared.library(fixture, variant)
        let golden = try Golden.load(fixture)
        let model = try CompiledModel(path: path)
        let session = try model.makeSession(maxBatch: 4, maxLength: model.maxSequenceLength)
        var worst: Float = 0
        for batch in golden.batches {
            let logits = try session.classify(ids: batch.inputIds, mask: batch.attentionMask,
                                              types: batch.tokenTypeIds).map(\.logits)
            #expect(logits.count == batch.logits.count)
            for (row, (got, want)) in zip(logits, batch.logits).enumerated() {
                #expect(got.count == want.count)
                for (a, b) in zip(got, want) {
                    let error = abs(a - b) / (1 + abs(b))
                    worst = max(worst, error.isNaN ? .infinity : error)
                    #expect(error <= Self.tolerance(variant), "\(fixture) [\(variant)] \(batch.name) row \(row): \(a) vs HF \(b)")
                }
            }
        }
        print("parity \(fixture) [\(variant)]: max |a-b|/(1+|b|) = \(worst)")
    }
}

/// Longer inputs than the goldens have: the compiled model against the reference interpreter
/// (on the builder's unfused graph) at the model's maximum length, with padding and token types.
@Suite struct InterpreterParityTests {
    @Test("compiled models match the interpreter at the maximum length",
          arguments: ["models/xxlarge-toy", "models/no-buckets", "models/conv-variants", "models/biased-input-types", "models/max-relative-positions"])
    func maximumLength(fixture: String) async throws {
        let checkpoint = try Checkpoint.load(path: BackendFixtures.checkpoint(fixture))
        let config = checkpoint.config
        let length = config.maxPositionEmbeddings
        var generator = SystemRandomNumberGenerator()
        let lengths = [length, length - 7, 1, length / 2]
        let ids = lengths.map { n in (0..<length).map { t -> Int32 in t < n ? Int32.random(in: 3..<Int32(config.vocabSize), using: &generator) : 0 } }
        let mask = lengths.map { n in (0..<length).map { Int32($0 < n ? 1 : 0) } }
        let types = config.typeVocabSize > 0
            ? lengths.map { n in (0..<length).map { t -> Int32 in t < n ? Int32.random(in: 0..<Int32(config.typeVocabSize), using: &generator) : 0 } }
            : nil
        let input = InferenceInput(inputIds: ids, attentionMask: mask, tokenTypeIds: types)
        try input.validate(config: config)
        let graph = try DebertaGraphBuilder.build(checkpoint: checkpoint)
        let want = try Interpreter(graph: graph, constants: CheckpointConstants(checkpoint: checkpoint)).run(input)[0].floats

        let model = try CompiledModel(path: try await CompiledArtifacts.shared.library(fixture, .embedded))
        let got = try model.makeSession(maxBatch: 4, maxLength: length).classify(ids: ids, mask: mask, types: types).map(\.logits)
        var worst: Float = 0
        for (a, b) in zip(got.joined(), want) {
            let error = abs(a - b) / (1 + abs(b))
            worst = max(worst, error)
            #expect(error <= 1e-4, "\(fixture): \(a) vs interpreter \(b)")
        }
        print("interpreter parity \(fixture) at T = \(length): max |a-b|/(1+|b|) = \(worst)")
    }
}
