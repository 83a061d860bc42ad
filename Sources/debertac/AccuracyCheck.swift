import DebertacBackend
import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import DebertacRuntime

/// `debertac compile --check-accuracy N`: the compiled .so against the fp32 reference
/// interpreter on N seeded random sequences (one per call; lengths 4 … min(128, the model's
/// maximum), ids uniform over the vocabulary after a first id of 1, token types 0 then 1 from
/// the middle when the model has them). Reports argmax agreement and the largest and mean
/// absolute logit difference, the numbers docs/precision.md quotes.
struct AccuracyCheck {
    let count: Int
    let seed: UInt64

    struct Result: CustomStringConvertible {
        var inputs = 0, agreeing = 0
        var maxDifference: Float = 0, sumDifference: Double = 0, logits = 0
        var lengths = 0...0
        var description: String {
            let share = inputs == 0 ? 0 : Double(agreeing) / Double(inputs) * 100
            let mean = logits == 0 ? 0 : sumDifference / Double(logits)
            let lengthText = "\(lengths.lowerBound)–\(lengths.upperBound)"
            let agreement = "\(agreeing) of \(inputs) (\((share * 10).rounded() / 10) %)"
            return "accuracy: \(inputs) random sequences (lengths \(lengthText)), the .so against the fp32 interpreter: "
                + "argmax agrees on \(agreement), max |Δlogit| \(Self.rounded(Double(maxDifference))), "
                + "mean |Δlogit| \(Self.rounded(mean))"
        }

        /// `x` to 3 significant digits.
        static func rounded(_ x: Double) -> Double {
            guard x.isFinite, x != 0 else { return x }
            var scale = 1.0
            while abs(x) * scale < 100 { scale *= 10 }
            while abs(x) * scale >= 1000 { scale /= 10 }
            return (x * scale).rounded() / scale
        }
    }

    /// Runs the check; `progress` receives a line every tenth of the inputs.
    func run(checkpoint: Checkpoint, compiled path: String, progress: (String) -> Void) throws -> Result {
        let config = checkpoint.config
        let graph = try DebertaGraphBuilder.build(checkpoint: checkpoint)
        let interpreter = try Interpreter(graph: graph, constants: CheckpointConstants(checkpoint: checkpoint, caching: true))
        let model = try CompiledModel(path: path)
        let longest = min(128, config.maxPositionEmbeddings)
        let session = try model.makeSession(maxBatch: 1, maxLength: longest)
        var random = SplitMix64(seed: seed)
        var result = Result()
        result.lengths = min(4, longest)...longest
        for index in 0..<count {
            let length = result.lengths.lowerBound + Int(random.next() % UInt64(result.lengths.count))
            var ids = (0..<length).map { _ in Int32(random.next() % UInt64(config.vocabSize)) }
            ids[0] = Int32(min(1, config.vocabSize - 1))
            let types: [[Int32]]? = config.typeVocabSize > 1 ? [(0..<length).map { $0 < length / 2 ? 0 : 1 }] : nil
            let reference = try interpreter.run(InferenceInput(inputIds: [ids], tokenTypeIds: types))[0].floats
            let compiled = try session.classify(ids: [ids], types: types)[0].logits
            result.inputs += 1
            if Self.argmax(reference) == Self.argmax(compiled) { result.agreeing += 1 }
            for (a, b) in zip(reference, compiled) {
                let difference = abs(a - b)
                result.maxDifference = max(result.maxDifference, difference.isNaN ? .infinity : difference)
                result.sumDifference += Double(difference)
                result.logits += 1
            }
            if count >= 10 && (index + 1) % (count / 10) == 0 { progress("checking accuracy: \(index + 1) of \(count)") }
        }
        return result
    }

    static func argmax(_ row: [Float]) -> Int {
        var best = 0
        for (i, value) in row.enumerated() where value > row[best] { best = i }
        return best
    }
}

/// A small seeded generator (SplitMix64): the same inputs for the same seed on every machine.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
