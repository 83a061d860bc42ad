import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import Testing

/// The interpreter against Hugging Face: logits and every layer's hidden state, for every
/// fixture model and batch, within |a − b| ≤ 1e-4 · (1 + |b|). Hidden states are compared
/// at real tokens only (padding rows are meaningless and differ across HF versions).
@Suite struct GoldenParityTests {
    static let tolerance: Float = 1e-4

    @Test("interpreter matches HF on fixture models", arguments: InterpreterFixtures.modelVariants, InterpreterFixtures.batchNames)
    func fixtureModel(variant: String, batch: String) throws {
        let folder = InterpreterFixtures.model(variant)
        let golden = try Golden.load(folder + "/golden.json")
        let expected = try #require(golden.batches.first { $0.name == batch }, "golden.json of '\(variant)' lacks batch '\(batch)'")
        try checkParity(checkpointPath: folder, batch: expected, label: "\(variant)/\(batch)")
    }

    @Test("interpreter matches HF on examples/tiny-nli (fp16 weights)")
    func tinyNLI() throws {
        let golden = try Golden.load(InterpreterFixtures.tinyNLI + "/golden.json")
        #expect(golden.batches.count == 1)
        for batch in golden.batches {
            try checkParity(checkpointPath: InterpreterFixtures.tinyNLI, batch: batch, label: "tiny-nli/\(batch.name)")
        }
    }

    @Test("every fixture golden has the three batches", arguments: InterpreterFixtures.modelVariants)
    func batches(variant: String) throws {
        let golden = try Golden.load(InterpreterFixtures.model(variant) + "/golden.json")
        #expect(golden.batches.map(\.name) == InterpreterFixtures.batchNames)
    }

    @Test("all 24 fixture variants are present (14 v2, 10 v1)")
    func variantCount() {
        #expect(InterpreterFixtures.modelVariants.count == 24)
    }

    /// Runs the checkpoint's graph on the batch and compares logits and hidden states.
    func checkParity(checkpointPath: String, batch: Golden.Batch, label: String) throws {
        let checkpoint = try Checkpoint.load(path: checkpointPath)
        let config = checkpoint.config
        let graph = try DebertaGraphBuilder.build(checkpoint: checkpoint)
        try batch.input.validate(config: config)
        let interpreter = try Interpreter(graph: graph, constants: CheckpointConstants(checkpoint: checkpoint))
        let layers = config.numHiddenLayers
        #expect(batch.hiddenStates.count == layers + 1, "\(label): golden has \(batch.hiddenStates.count) hidden states")
        let names = ["logits"] + (0...layers).map { "hidden.\($0)" }
        let values = try interpreter.run(batch.input, values: names)

        var worst: Float = 0
        let logits = try #require(values["logits"])
        #expect(logits.shape == [batch.input.batchSize, config.numLabels])
        worst = max(worst, compare(logits.floats, batch.logits.flatMap { $0 }, what: "\(label) logits"))

        let (b, t) = (batch.input.batchSize, batch.input.length)
        let width = config.hiddenSize
        let real = batch.input.attentionMask.flatMap { $0 }
        for (layer, expected) in batch.hiddenStates.enumerated() where layer <= layers {
            let hidden = try #require(values["hidden.\(layer)"])
            #expect(hidden.shape == [b, t, width])
            guard expected.count == b * t * width else {
                Issue.record("\(label): golden hidden state \(layer) has \(expected.count) values, expected \(b * t * width)")
                continue
            }
            // Keep only real-token rows (mask = 1) of both.
            var actualRows: [Float] = [], expectedRows: [Float] = []
            let got = hidden.floats
            for row in 0..<(b * t) where real[row] == 1 {
                actualRows += got[(row * width)..<((row + 1) * width)]
                expectedRows += expected[(row * width)..<((row + 1) * width)]
            }
            worst = max(worst, compare(actualRows, expectedRows, what: "\(label) hidden.\(layer)"))
        }
        print("parity \(label): max |a-b|/(1+|b|) = \(worst)")
    }

    /// Records an issue for the first element outside the tolerance; returns the largest
    /// |a − b| / (1 + |b|).
    func compare(_ actual: [Float], _ expected: [Float], what: String) -> Float {
        guard actual.count == expected.count else {
            Issue.record("\(what): \(actual.count) values, golden has \(expected.count)")
            return .infinity
        }
        var worst: Float = 0
        var reported = false
        for (i, (a, b)) in zip(actual, expected).enumerated() {
            let error = abs(a - b) / (1 + abs(b))
            if !(error <= Self.tolerance) && !reported {
                Issue.record("\(what)[\(i)]: interpreter \(a), HF \(b), |a-b| = \(abs(a - b)) > 1e-4·(1+|b|)")
                reported = true
            }
            worst = max(worst, error.isNaN ? .infinity : error)
        }
        return worst
    }
}
