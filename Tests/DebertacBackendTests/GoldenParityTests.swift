import DebertacBackend
import Testing

/// Every committed fixture, compiled and loaded in-process, against the Hugging Face goldens:
/// logits within |a − b| ≤ 2e-4 · (1 + |b|) on every golden batch (padded ones included), with
/// the default pipeline (weights embedded and external) and with the unfused graph.
@Suite struct GoldenParityTests {
    static let tolerance: Float = 2e-4

    @Test("compiled fixtures match HF", arguments: BackendFixtures.all, [Variant.embedded, .external])
    func parity(fixture: String, variant: Variant) async throws {
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
        let session = try model.session(maxBatch: 4, maxLength: model.maxSequenceLength)
        var worst: Float = 0
        for batch in golden.batches {
            let logits = try session.classify(inputIds: batch.inputIds, attentionMask: batch.attentionMask,
                                              tokenTypeIds: batch.tokenTypeIds)
            #expect(logits.count == batch.logits.count)
            for (row, (got, want)) in zip(logits, batch.logits).enumerated() {
                #expect(got.count == want.count)
                for (a, b) in zip(got, want) {
                    let error = abs(a - b) / (1 + abs(b))
                    worst = max(worst, error.isNaN ? .infinity : error)
                    #expect(error <= Self.tolerance, "\(fixture) [\(variant)] \(batch.name) row \(row): \(a) vs HF \(b)")
                }
            }
        }
        print("parity \(fixture) [\(variant)]: max |a-b|/(1+|b|) = \(worst)")
    }
}
