import DebertacRuntime
import Foundation
import Testing

/// The public API on the trained example (examples/synthetic-nli compiled with its tokenizer):
/// predictions and zero-shot results match Hugging Face's (golden.json), and the ids path is
/// the text path.
@Suite struct CompiledModelTests {
    func model() async throws -> CompiledModel { try CompiledModel(path: try await RuntimeFixtures.exampleLibrary()) }

    @Test("a loaded model reports its ABI version, labels, sizes, tokenizer and info")
    func facts() async throws {
        let model = try await model()
        #expect(model.abiVersion == 3)
        #expect(model.labels == ["CONTRADICTION", "NEUTRAL", "ENTAILMENT"] && model.numLabels == 3)
        #expect(model.maxSequenceLength == 128 && model.vocabSize == 1712)
        #expect(model.hasTokenizer)
        #expect(model.info.hasPrefix("{") && model.info.contains("\"precision\": \"fp32\""))
    }

    @Test("classify(texts:pairs:) gives Hugging Face's logits (1e-4) and labels; probabilities are their softmax")
    func pairsMatchGoldens() async throws {
        let model = try await model()
        let golden = try ExampleGolden.load()
        #expect(golden.pairs.count == 9)
        let session = try model.makeSession(maxBatch: golden.pairs.count, maxLength: 64)
        let predictions = try session.classify(texts: golden.pairs.map(\.premise), pairs: golden.pairs.map(\.hypothesis))
        #expect(predictions.count == golden.pairs.count)
        for (prediction, pair) in zip(predictions, golden.pairs) {
            #expect(try model.tokenize(pair.premise, pair: pair.hypothesis).ids == pair.inputIds, "\(pair.premise)")
            // fp32 against PyTorch fp32: sums in another order.
            for (x, y) in zip(prediction.logits, pair.logits) { #expect(abs(x - y) <= 1e-4, "\(pair.premise): \(prediction.logits) vs \(pair.logits)") }
            #expect(prediction.label == pair.label && model.labels[prediction.labelIndex] == pair.label)
            let exps = prediction.logits.map { Foundation.exp(Double($0)) }
            for (p, e) in zip(prediction.probabilities, exps) { #expect(abs(Double(p) - e / exps.reduce(0, +)) <= 1e-6) }
            #expect(prediction.probabilities.indices.max { prediction.probabilities[$0] < prediction.probabilities[$1] } == prediction.labelIndex)
        }
    }

    @Test("zeroShot gives the pipeline's labels in its order and its scores (1e-5)")
    func zeroShotMatchesGoldens() async throws {
        let model = try await model()
        let golden = try ExampleGolden.load()
        #expect(golden.zeroShot.count == 9)
        // Maximum batch 2: candidates run in chunks, with the same result.
        let session = try model.makeSession(maxBatch: 2)
        for call in golden.zeroShot {
            let result = try session.zeroShot(call.text, labels: call.candidates, template: call.template, multiLabel: call.multiLabel)
            #expect(result.sequence == call.text)
            #expect(result.labels == call.labels, "\(call.text)")
            #expect(result.scores.count == call.scores.count)
            for (label, score) in zip(call.labels, call.scores) {
                #expect(abs(Double(result.score(of: label) ?? .nan) - score) <= 1e-5, "\(call.text) \(label)")
            }
            #expect(result.scores == result.scores.sorted(by: >))
        }
    }

    @Test("classify(ids:mask:) on the tokenized, padded batch equals classify(texts:pairs:) bit for bit")
    func idsPathIsTextPath() async throws {
        let model = try await model()
        let texts: [(String, String?)] = [("A man is playing a guitar on stage.", "A person is making music."),
                                          ("Three apples are on the table.", nil),
                                          ("Le café est très chaud. 😀", "The coffee is cold.")]
        let session = try model.makeSession(maxBatch: 3)
        let fromText = try session.classify(texts: texts.map(\.0), pairs: texts.map(\.1))
        let rows = try texts.map { try model.tokenize($0.0, pair: $0.1) }
        let width = rows.map(\.ids.count).max()!
        let ids = rows.map { $0.ids + Array(repeating: 0, count: width - $0.ids.count) }
        let mask = rows.map { Array(repeating: Int32(1), count: $0.ids.count) + Array(repeating: 0, count: width - $0.ids.count) }
        let fromIds = try session.classify(ids: ids, mask: mask)
        #expect(fromIds == fromText)
        // The example has no token type embeddings (type_vocab_size 0): the types tokenize gives (1s in
        // the second segment) are ignored, as transformers ignores them.
        let types = rows.map { $0.typeIds + Array(repeating: 0, count: width - $0.typeIds.count) }
        #expect(types.contains { $0.contains(1) })
        #expect(try session.classify(ids: ids, mask: mask, types: types) == fromText)
        // A shorter truncation, through tokenize's maxLength.
        #expect(try model.tokenize(texts[0].0, pair: texts[0].1, maxLength: 8).ids.count == 8)
    }

    @Test("a session keeps its model (and the .so) alive")
    func sessionOutlivesModelReference() async throws {
        let path = try await RuntimeFixtures.exampleLibrary()
        func session() throws -> Session { try CompiledModel(path: path).makeSession(maxBatch: 1) }
        let alone = try session()
        #expect(try alone.classify(texts: ["A man is playing a guitar on stage."], pairs: ["A person is making music."])[0].label == "ENTAILMENT")
        #expect(alone.model.labels.count == 3)
    }
}
