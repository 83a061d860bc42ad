/// The configuration of a `DebertaV2ForSequenceClassification` model: every field of
/// transformers' `DebertaV2Config` that changes the computation, with its defaults.
///
/// Defaults follow transformers (`configuration_deberta_v2.py` and the `getattr` defaults
/// in `modeling_deberta_v2.py`), not the flagship checkpoint: a field missing from
/// config.json means what it means to Hugging Face. See ../shared/DEBERTA.md.
public struct DebertaConfig: Equatable, Sendable {
    /// `model_type`; "deberta-v2" for every checkpoint we compile.
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

    public init() {}

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
    /// Denominator of the attention scores: sqrt(head_size · (1 + [c2p] + [p2c])).
    /// transformers counts c2p and p2c even when relative attention is off, and applies
    /// the scale to every term.
    public var attentionScaleFactor: Int {
        1 + (posAttType.contains("c2p") ? 1 : 0) + (posAttType.contains("p2c") ? 1 : 0)
    }
}
