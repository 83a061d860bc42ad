/// The text calls (ABI 2): the tokenizer compiled into the .so tokenizes, pads and classifies.
extension Session {
    /// Classifies `texts`, each paired with `pairs[i]` when `pairs` is given and that entry is not
    /// nil (`[CLS] text [SEP] pair [SEP]`), tokenized as the checkpoint's Hugging Face tokenizer
    /// does and truncated `longest_first` to the session's maximum length. One `Prediction` per text.
    ///
    /// Throws `invalidArgument` for a model without a tokenizer, an empty batch, `pairs` of
    /// another count, or a text holding a NUL character; `outOfRange` for more texts than the
    /// session's maximum batch.
    public func classify(texts: [String], pairs: [String?]? = nil) throws(DebertacError) -> [Prediction] {
        let calls = try model.requireText()
        if let pairs, pairs.count != texts.count {
            throw DebertacError(status: .invalidArgument, message: "'pairs' has \(pairs.count) entries, expected \(texts.count) (one per text)")
        }
        try CStringArguments.check(texts, name: "texts")
        if let pairs { try CStringArguments.check(pairs, name: "pairs") }
        var logits = [Float](repeating: .nan, count: max(texts.count * model.numLabels, 1))
        let status = CStringArguments.withArray(texts) { t in
            if let pairs {
                return CStringArguments.withArray(pairs) { p in calls.classifyText(rawSession, Int32(clamping: texts.count), t, p, &logits) }
            }
            return calls.classifyText(rawSession, Int32(clamping: texts.count), t, nil, &logits)
        }
        try check(status)
        return predictions(logits, batch: texts.count)
    }

    /// Classifies `text` as each of `labels`, exactly as Hugging Face's zero-shot-classification
    /// pipeline does: each label is put into `template` (its one `{}`), paired with `text` and
    /// scored by the model's entailment logit; `multiLabel` false (and more than one label): the
    /// scores are a softmax over the labels; true: each label's own entailment-vs-contradiction
    /// probability. Runs the labels `maxBatch` at a time, so any number fits any session.
    ///
    /// Throws `invalidArgument` for no labels, a template without exactly one `{}`, a model
    /// without a tokenizer or without an entailment label, or a text holding a NUL character;
    /// `outOfRange` when a hypothesis alone is longer than the session's maximum length.
    public func zeroShot(_ text: String, labels: [String], template: String = "This example is {}.",
                         multiLabel: Bool = false) throws(DebertacError) -> ZeroShotResult {
        let calls = try model.requireText()
        try CStringArguments.check(text, name: "text")
        try CStringArguments.check(labels, name: "labels")
        try CStringArguments.check(template, name: "template")
        var scores = [Float](repeating: .nan, count: max(labels.count, 1))
        let status = text.withCString { t in
            CStringArguments.withArray(labels) { l in
                template.withCString { h in
                    calls.zeroShot(rawSession, t, Int32(clamping: labels.count), l, h, multiLabel ? 1 : 0, &scores)
                }
            }
        }
        try check(status)
        return ZeroShotResult(sequence: text, candidates: labels, scores: Array(scores.prefix(labels.count)))
    }
}

/// The result of `Session.zeroShot`, as the pipeline returns it: the candidate labels sorted by
/// score, best first.
public struct ZeroShotResult: Sendable, Equatable {
    /// The classified text.
    public let sequence: String
    /// The candidate labels, highest score first (ties keep the order they were given in).
    public let labels: [String]
    /// `scores[i]` is the score of `labels[i]`, in [0, 1]; they sum to 1 unless `multiLabel`.
    public let scores: [Float]

    /// Sorts `candidates` and their `scores` (in the same order) by score.
    init(sequence: String, candidates: [String], scores: [Float]) {
        self.sequence = sequence
        let order = candidates.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        labels = order.map { candidates[$0] }
        self.scores = order.map { scores[$0] }
    }

    /// The score of `label`, or nil when it was not a candidate (the first, for a repeated label).
    public func score(of label: String) -> Float? {
        labels.firstIndex(of: label).map { scores[$0] }
    }
}
