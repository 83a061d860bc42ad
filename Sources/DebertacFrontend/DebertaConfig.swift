/// The configuration of a `DebertaV2ForSequenceClassification` or (DeBERTa v1)
/// `DebertaForSequenceClassification` model: every field of transformers' `DebertaV2Config` /
/// `DebertaConfig` that changes the computation, with its defaults.
///
/// Defaults follow transformers (`configuration_deberta_v2.py`, `configuration_deberta.py` and
/// the `getattr` defaults in the modeling files), not the flagship checkpoints: a field missing
/// from config.json means what it means to Hugging Face. See ../shared/DEBERTA.md.
///
/// A v1 configuration is expressed in the same fields: the v2-only ones (`position_buckets`,
/// `norm_rel_ebd`, `share_att_key`, `attention_head_size`, the conv layer) keep values that turn
/// them off, since v1 has none of them and transformers ignores those keys for it.
public struct DebertaConfig: Equatable, Sendable {
    /// `model_type`: "deberta-v2" (DeBERTa-v2/v3) or "deberta" (DeBERTa v1).
    public var modelType = "deberta-v2"
    public var vocabSize = 128_100
    public var hiddenSize = 1536
    public var numHiddenLayers = 24
    public var numAttentionHeads = 24
    /// `attention_head_size`; transformers defaults it to hidden_size / num_attention_heads.
    public var attentionHeadSize: Int? = nil
    public var intermediateSize = 6144
    /// Activation of the feed-forward block, an `ACT2FN` name ("gelu" is the exact erf GELU).
    public var hiddenAct = "gelu"
    public var maxPositionEmbeddings = 512
    /// Token type vocabulary; 0 means no token type embeddings.
    public var typeVocabSize = 0
    public var layerNormEps = 1e-7
    public var relativeAttention = false
    /// As written in config.json; values below 1 mean `maxPositionEmbeddings`.
    public var maxRelativePositions = -1
    /// Log-bucketing of relative positions; values ≤ 0 disable it.
    public var positionBuckets = -1
    /// `norm_rel_ebd` split on "|": contains "layer_norm" when relative embeddings are normalised.
    public var normRelEbd: [String] = ["none"]
    public var shareAttKey = false
    /// `pos_att_type` as a list ("p2c|c2p" is split on "|", lowercased). Only "c2p" and
    /// "p2c" change the computation; transformers ignores other entries.
    public var posAttType: [String] = []
    /// Whether absolute position embeddings are added to the word embeddings.
    public var positionBiasedInput = true
    /// `embedding_size`; an `embed_proj` maps it to `hiddenSize` when they differ.
    public var embeddingSize: Int? = nil
    /// `conv_kernel_size`; 0 means no ConvLayer.
    public var convKernelSize = 0
    public var convGroups = 1
    public var convAct = "tanh"
    /// `pooler_hidden_size`; defaults to `hiddenSize`.
    public var poolerHiddenSize: Int? = nil
    public var poolerHiddenAct = "gelu"
    public var padTokenId = 0
    /// Label names by class index; `numLabels == labels.count`.
    public var labels: [String] = ["LABEL_0", "LABEL_1"]
    /// The class whose logit means entailment, for zero-shot classification: as transformers'
    /// `ZeroShotClassificationPipeline.entailment_id`, the first `label2id` entry (in file order;
    /// `id2label` order when absent) whose name starts with "entail" in any case; nil when none.
    public var entailmentId: Int? = nil
    /// `talking_head` (DeBERTa v1 only): head-mixing projections around the softmax.
    public var talkingHead = false

    public init() {}

    /// The model family, from `model_type`.
    public var family: DebertaFamily { modelType == "deberta" ? .v1 : .v2 }

    /// Number of classifier outputs (1 means a regression head).
    public var numLabels: Int { labels.count }
    /// Width of one attention head.
    public var headSize: Int { attentionHeadSize ?? hiddenSize / max(numAttentionHeads, 1) }
    /// Width of the word (and position, token type) embeddings.
    public var effectiveEmbeddingSize: Int { embeddingSize ?? hiddenSize }
    public var effectivePoolerHiddenSize: Int { poolerHiddenSize ?? hiddenSize }
    /// `max_relative_positions` after transformers' "< 1 means max_position_embeddings".
    public var effectiveMaxRelativePositions: Int {
        maxRelativePositions < 1 ? maxPositionEmbeddings : maxRelativePositions
    }
    /// `att_span` (transformers' `pos_ebd_size`): position_buckets if > 0, else the max relative position.
    /// The relative embedding table has `2 * attentionSpan` rows.
    public var attentionSpan: Int { positionBuckets > 0 ? positionBuckets : effectiveMaxRelativePositions }
    /// Whether the content-to-position term is added to the attention scores.
    public var usesC2P: Bool { relativeAttention && posAttType.contains("c2p") }
    /// Whether the position-to-content term is added to the attention scores.
    public var usesP2C: Bool { relativeAttention && posAttType.contains("p2c") }
    /// Whether the encoder layer-normalises the relative embeddings.
    public var normalizesRelativeEmbeddings: Bool { relativeAttention && normRelEbd.contains("layer_norm") }
    /// Whether a ConvLayer follows the first encoder layer.
    public var hasConv: Bool { convKernelSize > 0 }
    /// Denominator of the attention scores: sqrt(head_size · attentionScaleFactor).
    /// v2 counts c2p and p2c (1 + [c2p] + [p2c]); v1 counts every entry of pos_att_type
    /// (`1 + len(self.pos_att_type)` in modeling_deberta.py), so an unknown or repeated entry
    /// changes v1's scale. Both count them even when relative attention is off, and apply the
    /// scale to every term.
    public var attentionScaleFactor: Int {
        switch family {
        case .v1: 1 + posAttType.count
        case .v2: 1 + (posAttType.contains("c2p") ? 1 : 0) + (posAttType.contains("p2c") ? 1 : 0)
        }
    }
}

/// The two DeBERTa architectures debertac compiles.
public enum DebertaFamily: String, Sendable {
    /// `model_type` "deberta": deberta-base/large/xlarge(-mnli); `DebertaForSequenceClassification`.
    /// Attention reads a head-interleaved `in_proj` with `q_bias` and `v_bias`.
    case v1
    /// `model_type` "deberta-v2": deberta-v2-xlarge/xxlarge, all v3 and mdeberta-v3 checkpoints;
    /// `DebertaV2ForSequenceClassification`.
    case v2

    /// How `debertac inspect` names the architecture.
    public var displayName: String {
        switch self {
        case .v1: "DeBERTa v1 (DebertaForSequenceClassification)"
        case .v2: "DeBERTa-v2/v3 (DebertaV2ForSequenceClassification)"
        }
    }
}
