import DebertacFrontend

/// Builds the graph of transformers' `DebertaV2ForSequenceClassification` in eval mode
/// (modeling_deberta_v2.py; notes in ../shared/DEBERTA.md), or for a v1 configuration
/// (`model_type` "deberta") that of `DebertaForSequenceClassification` (modeling_deberta.py).
///
/// v1 is mapped onto the same ops: its head-interleaved `in_proj` is split into q, k and v
/// weights by weights-only `head_rows` ops, k gets a zero bias, and its position projections
/// are `pos_proj` (no bias) and `pos_q_proj`; everything downstream (passes, fused attention,
/// precisions, memory plan) is shared.
///
/// Graph inputs are `%input_ids`, `%attention_mask` and, when `type_vocab_size > 0`,
/// `%token_type_ids`, all `tensor<BxTxi32>`. Weights are `constant`s named after their
/// checkpoint tensors. The value names below are a contract with the interpreter and tests:
/// - `%hidden.0`: the embedding output (HF `hidden_states[0]`);
/// - `%hidden.<i+1>`: the output of encoder layer i, after the ConvLayer for i = 0
///   (HF `hidden_states[i+1]`);
/// - `%logits`: the result, `tensor<Bx<num_labels>xf32>`.
public enum DebertaGraphBuilder {
    /// Name of the built graph (of a v2 configuration; v1's is `graphName(for:)`).
    public static let graphName = "deberta_v2"

    /// Name of the graph built for `config`: "deberta_v2", or "deberta" for v1.
    public static func graphName(for config: DebertaConfig) -> String {
        config.family == .v1 ? "deberta" : graphName
    }

    /// Builds and verifies the graph for `config`. When `tensorShapes` (checkpoint tensor
    /// names → shapes) is given, every weight the graph reads must be present with the
    /// expected shape, and `tensorDTypes` (if given) must mark it floating point; all
    /// problems are reported together.
    public static func build(
        config: DebertaConfig, tensorShapes: [String: [Int]]? = nil, tensorDTypes: [String: DType]? = nil
    ) throws(GraphBuildError) -> Graph {
        try validate(config)
        var emitter = Emitter(config: config, shapes: tensorShapes, dtypes: tensorDTypes)
        do {
            try emitter.emitModel()
        } catch {
            throw .invalidGraph(error.message)
        }
        if !emitter.problems.isEmpty { throw .tensorMismatch(emitter.problems) }
        let graph = emitter.builder.graph
        do {
            try graph.verify()
        } catch {
            throw .invalidGraph(error.description)
        }
        return graph
    }

    /// Builds the graph for a loaded checkpoint, checking its tensors' shapes and dtypes.
    public static func build(checkpoint: Checkpoint) throws(GraphBuildError) -> Graph {
        var shapes: [String: [Int]] = [:], dtypes: [String: DType] = [:]
        for tensor in checkpoint.tensors {
            shapes[tensor.name] = tensor.shape
            dtypes[tensor.name] = tensor.dtype
        }
        return try build(config: checkpoint.config, tensorShapes: shapes, tensorDTypes: dtypes)
    }
}

/// Emits the model op by op, in the order of HF's forward pass.
private struct Emitter {
    let config: DebertaConfig
    let shapes: [String: [Int]]?
    let dtypes: [String: DType]?
    var builder: GraphBuilder
    var problems: [GraphBuildError.TensorProblem] = []
    var mask = ValueID(rawValue: 0)

    init(config: DebertaConfig, shapes: [String: [Int]]?, dtypes: [String: DType]?) {
        self.config = config
        self.shapes = shapes
        self.dtypes = dtypes
        self.builder = GraphBuilder(name: DebertaGraphBuilder.graphName(for: config))
    }

    typealias Result = ValueID

    // MARK: - Helpers

    /// The constant for checkpoint tensor `tensor` with `shape`, recording a problem if the
    /// checkpoint disagrees (the graph keeps the expected shape either way).
    mutating func weight(_ tensor: String, _ shape: [Int]) throws(TypeRuleError) -> Result {
        if let shapes {
            if let actual = shapes[tensor] {
                if actual != shape { problems.append(.shape(name: tensor, shape: actual, expected: shape)) }
                if let dtype = dtypes?[tensor], !dtype.isFloatingPoint {
                    problems.append(.notFloat(name: tensor, dtype: dtype.rawValue))
                }
            } else {
                problems.append(.missing(name: tensor, expected: shape))
            }
        }
        return try builder.constant(tensor, TensorType(staticShape: shape), name: Emitter.valueName(forTensor: tensor))
    }

    /// `deberta.encoder.layer.3.attention.self.query_proj.weight` → `layer3.attention.self.query_proj.weight`.
    static func valueName(forTensor tensor: String) -> String {
        var name = tensor.hasPrefix("deberta.") ? String(tensor.dropFirst("deberta.".count)) : tensor
        if name.hasPrefix("encoder.layer.") {
            let rest = name.dropFirst("encoder.layer.".count)
            if let dot = rest.firstIndex(of: ".") { name = "layer" + rest[..<dot] + rest[dot...] }
        }
        return Graph.isValidValueName(name) ? name : "w"
    }

    mutating func emit(_ kind: OpKind, _ operands: [Result], _ attributes: Attributes, _ name: String) throws(TypeRuleError) -> Result {
        try builder.emit(kind, operands, attributes, name: name)
    }

    mutating func emit(_ kind: OpKind, _ operands: [Result], _ name: String) throws(TypeRuleError) -> Result {
        try builder.emit(kind, operands, Attributes(), name: name)
    }

    /// `prefix.weight` [out, in] and, if `bias`, `prefix.bias` [out].
    mutating func linear(_ x: Result, _ prefix: String, out: Int, in width: Int, bias: Bool = true, _ name: String) throws(TypeRuleError) -> Result {
        var operands = [x, try weight(prefix + ".weight", [out, width])]
        if bias { operands.append(try weight(prefix + ".bias", [out])) }
        return try emit(.linear, operands, name)
    }

    /// LayerNorm over the hidden size with `prefix.weight` and `prefix.bias`.
    mutating func layerNorm(_ x: Result, _ prefix: String, _ name: String) throws(TypeRuleError) -> Result {
        let hidden = config.hiddenSize
        let gamma = try weight(prefix + ".weight", [hidden])
        let beta = try weight(prefix + ".bias", [hidden])
        return try emit(.layerNorm, [x, gamma, beta], ["eps": .float(config.layerNormEps)], name)
    }

    /// The activation `act` (already validated) applied to `x`; `x` itself for "linear".
    mutating func activate(_ x: Result, _ act: String, _ name: String) throws(TypeRuleError) -> Result {
        guard case let .op(kind)? = Activation.named(act) else { return x }
        return try emit(kind, [x], name)
    }

    // MARK: - Model

    mutating func emitModel() throws(TypeRuleError) {
        let ids = builder.input("input_ids", TensorType([.batch, .seq], .i32))
        mask = builder.input("attention_mask", TensorType([.batch, .seq], .i32))
        let tokenTypes = config.typeVocabSize > 0 ? builder.input("token_type_ids", TensorType([.batch, .seq], .i32)) : nil

        let embeddings = try emitEmbeddings(ids: ids, tokenTypes: tokenTypes)
        let relative = try emitRelativePositions()
        var hidden = embeddings
        for layer in 0..<config.numHiddenLayers {
            let isConvLayer = layer == 0 && config.hasConv
            hidden = try emitLayer(layer, hidden, relative, outputName: isConvLayer ? "layer0.out" : "hidden.\(layer + 1)")
            if isConvLayer { hidden = try emitConv(embeddings: embeddings, layerOutput: hidden) }
        }
        let logits = try emitHead(hidden)
        builder.output([logits])
    }

    /// DebertaV2Embeddings: word (+ position) (+ token type), embed_proj, LayerNorm, mask.
    mutating func emitEmbeddings(ids: Result, tokenTypes: Result?) throws(TypeRuleError) -> Result {
        let width = config.effectiveEmbeddingSize
        let words = try weight("deberta.embeddings.word_embeddings.weight", [config.vocabSize, width])
        var x = try emit(.gather, [words, ids], "emb.word")
        if config.positionBiasedInput {
            let table = try weight("deberta.embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, width])
            let positions = try emit(.prefixRows, [table], "emb.position")
            x = try emit(.add, [x, positions], "emb.with_position")
        }
        if let tokenTypes {
            let table = try weight("deberta.embeddings.token_type_embeddings.weight", [config.typeVocabSize, width])
            let types = try emit(.gather, [table, tokenTypes], "emb.token_type")
            x = try emit(.add, [x, types], "emb.with_token_type")
        }
        if width != config.hiddenSize {
            x = try linear(x, "deberta.embeddings.embed_proj", out: config.hiddenSize, in: width, bias: false, "emb.proj")
        }
        x = try layerNorm(x, "deberta.embeddings.LayerNorm", "emb.norm")
        return try emit(.maskRows, [x, mask], "hidden.0")
    }

    /// The (normalised) relative embeddings and the bucketed index, when c2p or p2c is used.
    mutating func emitRelativePositions() throws(TypeRuleError) -> (embeddings: Result, index: Result)? {
        guard config.usesC2P || config.usesP2C else { return nil }
        let span = config.attentionSpan
        // The table has exactly 2·span rows (nn.Embedding(pos_ebd_size * 2, ...)), so HF's
        // `rel_embeddings[0 : att_span * 2]` is the whole table: no slice_rows is needed.
        var table = try weight("deberta.encoder.rel_embeddings.weight", [2 * span, config.hiddenSize])
        if config.normalizesRelativeEmbeddings {
            table = try layerNorm(table, "deberta.encoder.LayerNorm", "rel.embeddings")
        }
        let index = try emit(.relPosIndex, [], [
            "buckets": .int(max(config.positionBuckets, 0)),
            "max_position": .int(config.effectiveMaxRelativePositions),
            "span": .int(span),
        ], "rel.index")
        return (table, index)
    }

    /// DebertaV2Layer i: disentangled self-attention, output dense + residual + LayerNorm,
    /// feed-forward + residual + LayerNorm.
    mutating func emitLayer(_ i: Int, _ h: Result, _ relative: (embeddings: Result, index: Result)?, outputName: String) throws(TypeRuleError) -> Result {
        let hidden = config.hiddenSize, heads = config.numAttentionHeads
        let allHead = heads * config.headSize
        let p = "deberta.encoder.layer.\(i)"
        let attention = p + ".attention.self"
        let n = "layer\(i)"
        let headsAttr: Attributes = ["heads": .int(heads)]

        let (q, k, v) = config.family == .v1
            ? try emitV1Projections(h, attention, name: n)
            : (try linear(h, attention + ".query_proj", out: allHead, in: hidden, "\(n).q"),
               try linear(h, attention + ".key_proj", out: allHead, in: hidden, "\(n).k"),
               try linear(h, attention + ".value_proj", out: allHead, in: hidden, "\(n).v"))
        var scores = try emit(.attentionScores, [q, k], headsAttr, "\(n).c2c")
        if let relative, config.usesC2P {
            let posKey = config.family == .v1
                ? try linear(relative.embeddings, attention + ".pos_proj", out: allHead, in: hidden, bias: false, "\(n).pos_key")
                : try linear(relative.embeddings, attention + (config.shareAttKey ? ".key_proj" : ".pos_key_proj"), out: allHead, in: hidden, "\(n).pos_key")
            let c2p = try emit(.c2pScores, [q, posKey, relative.index], headsAttr, "\(n).c2p")
            scores = try emit(.add, [scores, c2p], "\(n).c2c_c2p")
        }
        if let relative, config.usesP2C {
            let projection = config.family == .v1 ? ".pos_q_proj" : config.shareAttKey ? ".query_proj" : ".pos_query_proj"
            let posQuery = try linear(relative.embeddings, attention + projection, out: allHead, in: hidden, "\(n).pos_query")
            // HF gathers with clamp(−r + span) and transposes; bucket(−r) = −bucket(r), so
            // that is the same idx(i, j) as c2p (see DEBERTA.md).
            let p2c = try emit(.p2cScores, [k, posQuery, relative.index], headsAttr, "\(n).p2c")
            scores = try emit(.add, [scores, p2c], config.usesC2P ? "\(n).c2c_c2p_p2c" : "\(n).c2c_p2c")
        }
        // HF divides every term by sqrt(head_size · scale_factor), where scale_factor counts
        // "c2p" and "p2c" (v2) or every entry (v1) of pos_att_type, even when relative
        // attention is off. v1 divides q (and Pq) before the products; the same math.
        let factor = 1.0 / (Double(config.headSize) * Double(config.attentionScaleFactor)).squareRoot()
        scores = try emit(.scale, [scores], ["factor": .float(factor)], "\(n).scores")
        // v1's talking_head: head_logits_proj mixes the scores across heads before the mask and
        // softmax, head_weights_proj the probabilities after it (Linear over the head axis).
        let talking = config.family == .v1 && config.talkingHead
        if talking {
            let w = try weight(attention + ".head_logits_proj.weight", [heads, heads])
            scores = try emit(.mixHeads, [scores, w], "\(n).mixed_scores")
        }
        var probs = try emit(.maskedSoftmax, [scores, mask], "\(n).probs")
        if talking {
            let w = try weight(attention + ".head_weights_proj.weight", [heads, heads])
            probs = try emit(.mixHeads, [probs, w], "\(n).mixed_probs")
        }
        let context = try emit(.attentionContext, [probs, v], headsAttr, "\(n).context")

        let dense = try linear(context, p + ".attention.output.dense", out: hidden, in: hidden, "\(n).attention_dense")
        let residual = try emit(.add, [dense, h], "\(n).attention_residual")
        let attended = try layerNorm(residual, p + ".attention.output.LayerNorm", "\(n).attention_out")

        let up = try linear(attended, p + ".intermediate.dense", out: config.intermediateSize, in: hidden, "\(n).ffn_up")
        let activated = try activate(up, config.hiddenAct, "\(n).ffn_act")
        let down = try linear(activated, p + ".output.dense", out: hidden, in: config.intermediateSize, "\(n).ffn_down")
        let ffnResidual = try emit(.add, [down, attended], "\(n).ffn_residual")
        return try layerNorm(ffnResidual, p + ".output.LayerNorm", outputName)
    }

    /// DeBERTa v1's q, k, v: `in_proj(h)` split per head into thirds (`transpose_for_scores(qp)
    /// .chunk(3, dim=-1)`: rows [3d·h, 3d·h + d) of in_proj are head h's query, the next d its
    /// key, the next d its value), then `q_bias` and `v_bias`. The split is on the weight, by
    /// weights-only `head_rows` ops that `fold-constants` evaluates, so q, k and v are ordinary
    /// linears; k's missing bias is a zero vector (`scale(v_bias, 0)`, folded likewise) so that
    /// `merge-qkv` sees three alike projections.
    mutating func emitV1Projections(_ h: Result, _ attention: String, name n: String) throws(TypeRuleError) -> (Result, Result, Result) {
        let hidden = config.hiddenSize, heads = config.numAttentionHeads
        let allHead = heads * config.headSize
        let inProj = try weight(attention + ".in_proj.weight", [3 * allHead, hidden])
        let qBias = try weight(attention + ".q_bias", [allHead])
        let vBias = try weight(attention + ".v_bias", [allHead])
        func part(_ index: Int, _ suffix: String) throws(TypeRuleError) -> Result {
            try emit(.headRows, [inProj], ["heads": .int(heads), "part": .int(index), "parts": .int(3)], "\(n).\(suffix)_weight")
        }
        let (wq, wk, wv) = (try part(0, "q"), try part(1, "k"), try part(2, "v"))
        let kBias = try emit(.scale, [vBias], ["factor": .float(0)], "\(n).k_bias")
        return (try emit(.linear, [h, wq, qBias], "\(n).q"),
                try emit(.linear, [h, wk, kBias], "\(n).k"),
                try emit(.linear, [h, wv, vBias], "\(n).v"))
    }

    /// ConvLayer after layer 0: conv over the embedding output (not layer 0's output),
    /// zero padded rows, conv_act, residual with layer 0's output, LayerNorm, mask.
    mutating func emitConv(embeddings: Result, layerOutput: Result) throws(TypeRuleError) -> Result {
        let hidden = config.hiddenSize, kernel = config.convKernelSize, groups = config.convGroups
        let w = try weight("deberta.encoder.conv.conv.weight", [hidden, hidden / groups, kernel])
        let b = try weight("deberta.encoder.conv.conv.bias", [hidden])
        let conv = try emit(.conv1d, [embeddings, w, b], ["groups": .int(groups), "padding": .int((kernel - 1) / 2)], "conv.conv")
        // masked_fill before the activation: act(0) need not be 0 (sigmoid), as in HF.
        let masked = try emit(.maskRows, [conv, mask], "conv.masked")
        let activated = try activate(masked, config.convAct, "conv.act")
        let residual = try emit(.add, [layerOutput, activated], "conv.residual")
        let normed = try layerNorm(residual, "deberta.encoder.conv.LayerNorm", "conv.norm")
        return try emit(.maskRows, [normed, mask], "hidden.1")
    }

    /// ContextPooler (token 0, dense, pooler_hidden_act) and the classifier.
    mutating func emitHead(_ h: Result) throws(TypeRuleError) -> Result {
        let hidden = config.hiddenSize
        let token = try emit(.firstToken, [h], "pooler.token")
        let dense = try linear(token, "pooler.dense", out: hidden, in: hidden, "pooler.dense")
        let pooled = try activate(dense, config.poolerHiddenAct, "pooler.act")
        return try linear(pooled, "classifier", out: config.numLabels, in: hidden, "logits")
    }
}
