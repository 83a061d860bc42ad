/// The tensors `DebertaV2ForSequenceClassification` (or, for a v1 configuration,
/// `DebertaForSequenceClassification`) has for a configuration, with shapes, in state-dict
/// order. This is the contract between a config.json and its weights.
public enum ExpectedTensors {
    /// A tensor the model needs: its state-dict name and shape.
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let shape: [Int]
    }

    /// Names that real checkpoints carry but the classifier never reads.
    public static func isTolerated(_ name: String, config: DebertaConfig) -> Bool {
        if name == "deberta.embeddings.position_ids" { return true }
        // Older transformers created position embeddings even when they were not added.
        if name == "deberta.embeddings.position_embeddings.weight", !config.positionBiasedInput { return true }
        return false
    }

    /// Every tensor the model reads, for `config`.
    public static func entries(for config: DebertaConfig) -> [Entry] {
        let hidden = config.hiddenSize
        let embedding = config.effectiveEmbeddingSize
        let allHead = config.numAttentionHeads * config.headSize
        var entries: [Entry] = []
        func add(_ name: String, _ shape: [Int]) { entries.append(Entry(name: name, shape: shape)) }
        func linear(_ prefix: String, out: Int, in input: Int, bias: Bool = true) {
            add(prefix + ".weight", [out, input])
            if bias { add(prefix + ".bias", [out]) }
        }
        func layerNorm(_ prefix: String, _ width: Int) {
            add(prefix + ".weight", [width])
            add(prefix + ".bias", [width])
        }

        add("deberta.embeddings.word_embeddings.weight", [config.vocabSize, embedding])
        if config.positionBiasedInput {
            add("deberta.embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, embedding])
        }
        if config.typeVocabSize > 0 {
            add("deberta.embeddings.token_type_embeddings.weight", [config.typeVocabSize, embedding])
        }
        if embedding != hidden {
            linear("deberta.embeddings.embed_proj", out: hidden, in: embedding, bias: false)
        }
        layerNorm("deberta.embeddings.LayerNorm", hidden)

        for layer in 0..<config.numHiddenLayers {
            let prefix = "deberta.encoder.layer.\(layer)"
            let attention = prefix + ".attention.self"
            switch config.family {
            case .v2:
                linear(attention + ".query_proj", out: allHead, in: hidden)
                linear(attention + ".key_proj", out: allHead, in: hidden)
                linear(attention + ".value_proj", out: allHead, in: hidden)
                if config.relativeAttention, !config.shareAttKey {
                    if config.posAttType.contains("c2p") { linear(attention + ".pos_key_proj", out: allHead, in: hidden) }
                    if config.posAttType.contains("p2c") { linear(attention + ".pos_query_proj", out: allHead, in: hidden) }
                }
            case .v1:
                // DisentangledSelfAttention (modeling_deberta.py): one bias-free in_proj whose rows
                // are interleaved per head, q and v biases (k has none), pos_proj for c2p (no
                // bias) and pos_q_proj for p2c.
                add(attention + ".q_bias", [allHead])
                add(attention + ".v_bias", [allHead])
                linear(attention + ".in_proj", out: 3 * allHead, in: hidden, bias: false)
                if config.talkingHead {
                    let heads = config.numAttentionHeads
                    linear(attention + ".head_logits_proj", out: heads, in: heads, bias: false)
                    linear(attention + ".head_weights_proj", out: heads, in: heads, bias: false)
                }
                if config.relativeAttention {
                    if config.posAttType.contains("c2p") { linear(attention + ".pos_proj", out: allHead, in: hidden, bias: false) }
                    if config.posAttType.contains("p2c") { linear(attention + ".pos_q_proj", out: allHead, in: hidden) }
                }
            }
            linear(prefix + ".attention.output.dense", out: hidden, in: hidden)
            layerNorm(prefix + ".attention.output.LayerNorm", hidden)
            linear(prefix + ".intermediate.dense", out: config.intermediateSize, in: hidden)
            linear(prefix + ".output.dense", out: hidden, in: config.intermediateSize)
            layerNorm(prefix + ".output.LayerNorm", hidden)
        }
        if config.relativeAttention {
            add("deberta.encoder.rel_embeddings.weight", [2 * config.attentionSpan, hidden])
        }
        if config.family == .v2, config.normRelEbd.contains("layer_norm") {
            layerNorm("deberta.encoder.LayerNorm", hidden)
        }
        if config.hasConv {
            add("deberta.encoder.conv.conv.weight", [hidden, hidden / max(config.convGroups, 1), config.convKernelSize])
            add("deberta.encoder.conv.conv.bias", [hidden])
            layerNorm("deberta.encoder.conv.LayerNorm", hidden)
        }
        let pooler = config.effectivePoolerHiddenSize
        linear("pooler.dense", out: pooler, in: pooler)
        linear("classifier", out: config.numLabels, in: hidden)
        return entries
    }
}
