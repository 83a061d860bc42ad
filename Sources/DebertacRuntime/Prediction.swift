#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The classification of one sequence: its logits, their probabilities and the best label.
public struct Prediction: Sendable, Equatable {
    /// The label with the largest logit (the first on ties), `model.labels[labelIndex]`.
    public let label: String
    /// The index of the largest logit.
    public let labelIndex: Int
    /// The softmax of the logits, in label order (summing to 1); for a single-logit head, the
    /// sigmoid of its logit, as Hugging Face's text-classification pipeline gives it.
    public let probabilities: [Float]
    /// The model's raw output, one per label, in label order.
    public let logits: [Float]

    /// The prediction of one row of `logits` (as many as `labels`).
    init(logits: [Float], labels: [String]) {
        self.logits = logits
        var best = 0
        for (index, value) in logits.enumerated() where value > logits[best] { best = index }
        labelIndex = best
        label = labels.indices.contains(best) ? labels[best] : "LABEL_\(best)"
        if logits.count == 1 {
            probabilities = [Float(1 / (1 + exp(-Double(logits[0]))))]
        } else {
            // In Double, from the largest logit: no overflow, and sums of tiny terms stay exact.
            let exps = logits.map { exp(Double($0) - Double(logits[best])) }
            let total = exps.reduce(0, +)
            probabilities = exps.map { Float($0 / total) }
        }
    }
}
