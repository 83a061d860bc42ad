extension DebertaConfig {
    /// The configuration as config.json field names and effective values (defaults applied),
    /// for `debertac inspect --json` and compiled models' info strings.
    public var jsonValue: JSONValue {
        var members: [(String, JSONValue)] = [
            ("architecture", .string(family.displayName)),
            ("model_type", .string(modelType)),
            ("vocab_size", .int(vocabSize)),
            ("hidden_size", .int(hiddenSize)),
            ("num_hidden_layers", .int(numHiddenLayers)),
            ("num_attention_heads", .int(numAttentionHeads)),
            ("attention_head_size", .int(headSize)),
            ("intermediate_size", .int(intermediateSize)),
            ("hidden_act", .string(hiddenAct)),
            ("max_position_embeddings", .int(maxPositionEmbeddings)),
            ("type_vocab_size", .int(typeVocabSize)),
            ("layer_norm_eps", .double(layerNormEps)),
            ("relative_attention", .bool(relativeAttention)),
            ("max_relative_positions", .int(effectiveMaxRelativePositions)),
            ("position_buckets", .int(positionBuckets)),
            ("norm_rel_ebd", .string(normRelEbd.joined(separator: "|"))),
            ("share_att_key", .bool(shareAttKey)),
            ("pos_att_type", .array(posAttType.map(JSONValue.string))),
            ("position_biased_input", .bool(positionBiasedInput)),
            ("embedding_size", .int(effectiveEmbeddingSize)),
            ("conv_kernel_size", .int(convKernelSize)),
            ("conv_groups", .int(convGroups)),
            ("conv_act", .string(convAct)),
            ("pooler_hidden_size", .int(effectivePoolerHiddenSize)),
            ("pooler_hidden_act", .string(poolerHiddenAct)),
            ("pad_token_id", .int(padTokenId)),
            ("num_labels", .int(numLabels)),
            ("id2label", .object(labels.enumerated().map { (String($0.offset), JSONValue.string($0.element)) })),
        ]
        if family == .v1 { members.append(("talking_head", .bool(talkingHead))) }
        return .object(members.map { (key: $0.0, value: $0.1) })
    }

    /// A few human-readable lines describing the model, for `debertac inspect`.
    public var summaryLines: [(label: String, text: String)] {
        let yesNo = { (b: Bool) in b ? "yes" : "no" }
        var attention = "relative \(yesNo(relativeAttention))"
        if relativeAttention {
            let terms = ["c2p", "p2c"].filter { posAttType.contains($0) }
            attention += " (\(terms.isEmpty ? "no position terms" : terms.joined(separator: ", ")))"
            attention += ", span \(attentionSpan)"
            attention += positionBuckets > 0 ? " (log buckets \(positionBuckets), max relative \(effectiveMaxRelativePositions))" : " (no buckets)"
            switch family {
            case .v2: attention += ", shared keys \(yesNo(shareAttKey)), rel. embedding norm \(normalizesRelativeEmbeddings ? "layer_norm" : "none")"
            case .v1: attention += ", fused in_proj with q/v biases, raw rel. embeddings"
            }
        }
        if family == .v1, talkingHead { attention += ", talking heads" }
        return [
            ("family", family.displayName),
            ("model", "\(modelType): \(numHiddenLayers) layers, hidden \(hiddenSize), \(numAttentionHeads) heads × \(headSize), intermediate \(intermediateSize), vocab \(vocabSize)"),
            ("embeddings", "max positions \(maxPositionEmbeddings), position-biased input \(yesNo(positionBiasedInput)), token types \(typeVocabSize), embedding size \(effectiveEmbeddingSize)"),
            ("attention", attention),
            ("conv", hasConv ? "kernel \(convKernelSize), groups \(convGroups), act \(convAct)" : "none"),
            ("activations", "\(hiddenAct), layer_norm_eps \(layerNormEps)"),
            ("head", "pooler \(effectivePoolerHiddenSize) \(poolerHiddenAct), \(numLabels) label\(numLabels == 1 ? "" : "s"): \(labels.joined(separator: ", "))"),
        ]
    }
}
