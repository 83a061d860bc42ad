/// Every operation of the graph IR. Each op has exactly one result.
///
/// The properties of each op (operands, attributes, whether it is elementwise, which
/// operand buffers its result may overwrite, its type rule) are data: `info` is the one
/// table that the verifier, the parser, the builder and later passes all read.
/// The raw value is the op's name in the textual IR.
public enum OpKind: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// A weight by name (no operands).
    case constant
    /// Row lookup `table[ids]`.
    case gather
    /// The first T rows of a table.
    case prefixRows = "prefix_rows"
    /// Broadcasting addition.
    case add
    /// Broadcasting multiplication.
    case mul
    /// Multiplication by the `factor` attribute.
    case scale
    /// Exact (erf) GELU.
    case gelu
    /// Tanh-approximated GELU.
    case geluTanh = "gelu_tanh"
    /// max(x, 0).
    case relu
    /// Hyperbolic tangent.
    case tanh
    /// Logistic sigmoid.
    case sigmoid
    /// x · sigmoid(x).
    case silu
    /// x · sigmoid(1.702 · x).
    case quickGelu = "quick_gelu"
    /// x · weightᵀ (+ bias).
    case linear
    /// LayerNorm over the last axis.
    case layerNorm = "layer_norm"
    /// Rows multiplied by the token mask.
    case maskRows = "mask_rows"
    /// Channels-last grouped 1-D convolution.
    case conv1d
    /// A static row range.
    case sliceRows = "slice_rows"
    /// One of the row blocks of a head-interleaved projection (DeBERTa v1's `in_proj`).
    case headRows = "head_rows"
    /// The [T, T] bucketed relative-position index.
    case relPosIndex = "rel_pos_index"
    /// Per-head q · kᵀ.
    case attentionScores = "attention_scores"
    /// Content-to-position scores.
    case c2pScores = "c2p_scores"
    /// Position-to-content scores.
    case p2cScores = "p2c_scores"
    /// Softmax over keys with the 2-D padding mask.
    case maskedSoftmax = "masked_softmax"
    /// Scores or probabilities mixed across heads (DeBERTa v1's talking-head attention).
    case mixHeads = "mix_heads"
    /// Per-head probabilities · v, heads merged.
    case attentionContext = "attention_context"
    /// Token 0 of every sequence.
    case firstToken = "first_token"

    // Ops created by optimisation passes (entries in OpKind+Fused.swift, docs/passes.md).
    /// The relative-position index as a table over i − j (folded to a constant).
    case relBucketTable = "rel_bucket_table"
    /// Tensors stacked along the first axis (merged Q, K, V weights; folded to a constant).
    case concatRows = "concat_rows"
    /// `x + table[0 ..< T]`: absolute position embeddings added without copying them.
    case addPrefixRows = "add_prefix_rows"
    /// `linear` followed by an activation.
    case linearAct = "linear_act"
    /// LayerNorm of a residual sum, optionally masked.
    case addLayerNorm = "add_layer_norm"
    /// LayerNorm followed by the row mask.
    case maskedLayerNorm = "masked_layer_norm"
    /// Fused disentangled attention on separate q, k, v.
    case disentangledAttention = "disentangled_attention"
    /// Fused disentangled attention on packed qkv.
    case disentangledAttentionQKV = "disentangled_attention_qkv"

    /// The op's name in the textual IR.
    public var description: String { rawValue }

    /// The op's properties (see `OpInfo`).
    public var info: OpInfo { OpKind.table[self]! }  // the table below covers every case

    /// The unary elementwise activations, in declaration order.
    public static let activations: [OpKind] = allCases.filter { $0.info.group == .activation }

    /// The op table: one entry per op, read by everything that needs op properties.
    private static let table: [OpKind: OpInfo] = {
        let heads = AttributeSpec("heads", .int, .positive)
        func unary(_ kind: OpKind, _ math: String) -> (OpKind, OpInfo) {
            (kind, OpInfo(kind, group: .activation, operands: ["x"], elementwise: true, inPlace: [0],
                          rule: TypeRules.unaryFloat, summary: math,
                          example: "%y = \(kind.rawValue)(%x) : tensor<BxTx3072xf32>"))
        }
        let entries: [(OpKind, OpInfo)] = [
            (.constant, OpInfo(.constant, group: .source, operands: [],
                attributes: [AttributeSpec("name", .string, .nonEmpty)],
                rule: TypeRules.constant,
                summary: "a weight: the checkpoint tensor (or a compiler-computed tensor) named `name`; its data lives outside the IR",
                example: "%w = constant @deberta.embeddings.word_embeddings.weight : tensor<128100x1536xf32>")),
            (.gather, OpInfo(.gather, group: .data, operands: ["table", "ids"], rule: TypeRules.gather,
                summary: "row lookup: result[..., :] = table[ids[...], :]; ids are i32",
                example: "%e = gather(%table, %input_ids) : tensor<BxTx1536xf32>")),
            (.prefixRows, OpInfo(.prefixRows, group: .data, operands: ["table"], rule: TypeRules.prefixRows,
                summary: "the first T rows of table[N, D] (absolute position embeddings); requires T ≤ N at run time",
                example: "%p = prefix_rows(%position_table) : tensor<Tx768xf32>")),
            (.add, OpInfo(.add, group: .binary, operands: ["a", "b"], elementwise: true, inPlace: [0, 1],
                rule: TypeRules.broadcast, summary: "a + b with numpy broadcasting",
                example: "%s = add(%a, %b) : tensor<BxTx768xf32>")),
            (.mul, OpInfo(.mul, group: .binary, operands: ["a", "b"], elementwise: true, inPlace: [0, 1],
                rule: TypeRules.broadcast, summary: "a · b with numpy broadcasting",
                example: "%m = mul(%a, %b) : tensor<BxTx768xf32>")),
            (.scale, OpInfo(.scale, group: .binary, operands: ["x"],
                attributes: [AttributeSpec("factor", .float, .finite)], elementwise: true, inPlace: [0],
                rule: TypeRules.unaryFloat, summary: "x · factor",
                example: "%y = scale(%x) {factor = 0.07216878364870323} : tensor<Bx24xTxTxf32>")),
            unary(.gelu, "x · Φ(x) = 0.5 · x · (1 + erf(x / √2)) (exact GELU, ACT2FN \"gelu\")"),
            unary(.geluTanh, "0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))) (ACT2FN \"gelu_new\", \"gelu_pytorch_tanh\", \"gelu_fast\")"),
            unary(.relu, "max(x, 0)"),
            unary(.tanh, "tanh(x)"),
            unary(.sigmoid, "1 / (1 + exp(−x))"),
            unary(.silu, "x · sigmoid(x) (ACT2FN \"silu\", \"swish\")"),
            unary(.quickGelu, "x · sigmoid(1.702 · x)"),
            (.linear, OpInfo(.linear, group: .matmul, operands: ["x", "weight", "bias"], optionalOperands: 1,
                attributes: [.precision], rule: TypeRules.linear,
                summary: "x[..., K] · weightᵀ + bias: weight is [N, K] (torch layout), bias [N] optional",
                example: "%q = linear(%x, %w, %b) : tensor<BxTx1536xf32>")),
            (.layerNorm, OpInfo(.layerNorm, group: .normalization, operands: ["x", "gamma", "beta"],
                attributes: [AttributeSpec("eps", .float, .positive)], inPlace: [0], rule: TypeRules.layerNorm,
                summary: "(x − mean) / sqrt(var + eps) · gamma + beta over the last axis (biased variance)",
                example: "%n = layer_norm(%x, %gamma, %beta) {eps = 1e-07} : tensor<BxTx1536xf32>")),
            (.maskRows, OpInfo(.maskRows, group: .data, operands: ["x", "mask"], elementwise: true, inPlace: [0],
                rule: TypeRules.maskRows, summary: "x[b, t, :] · mask[b, t] (mask i32, 1 = token, 0 = pad)",
                example: "%h = mask_rows(%x, %attention_mask) : tensor<BxTx1536xf32>")),
            (.conv1d, OpInfo(.conv1d, group: .matmul, operands: ["x", "weight", "bias"],
                attributes: [AttributeSpec("groups", .int, .positive), AttributeSpec("padding", .int, .nonNegative)],
                rule: TypeRules.conv1d,
                summary: "channels-last grouped 1-D convolution over T, zero padding on both ends, length-preserving: weight [Cout, C/groups, K] (torch layout), K = 2 · padding + 1",
                example: "%c = conv1d(%x, %w, %b) {groups = 1, padding = 1} : tensor<BxTx1536xf32>")),
            (.sliceRows, OpInfo(.sliceRows, group: .data, operands: ["x"],
                attributes: [AttributeSpec("count", .int, .positive), AttributeSpec("start", .int, .nonNegative)],
                rule: TypeRules.sliceRows, summary: "rows start ..< start + count of a static [N, D] tensor",
                example: "%r = slice_rows(%table) {count = 512, start = 0} : tensor<512x1536xf32>")),
            (.headRows, OpInfo(.headRows, group: .data, operands: ["x"],
                attributes: [AttributeSpec("heads", .int, .positive), AttributeSpec("part", .int, .nonNegative),
                             AttributeSpec("parts", .int, .positive)],
                rule: TypeRules.headRows,
                summary: "part `part` of a static [parts · heads · d, K] tensor whose rows are interleaved per head: rows (parts · h + part) · d ..< (parts · h + part + 1) · d of each head h, stacked (DeBERTa v1's in_proj: q, k, v of head 0, then head 1, ...)",
                example: "%wq = head_rows(%in_proj) {heads = 16, part = 0, parts = 3} : tensor<1024x1024xf32>")),
            (.relPosIndex, OpInfo(.relPosIndex, group: .attention, operands: [],
                attributes: [AttributeSpec("buckets", .int, .any), AttributeSpec("max_position", .int, .positive),
                             AttributeSpec("span", .int, .positive)],
                rule: TypeRules.relPosIndex,
                summary: "idx[i, j] = clamp(bucket(i − j) + span, 0, 2 · span − 1); bucket is HF's make_log_bucket_position when buckets > 0, else the identity",
                example: "%idx = rel_pos_index() {buckets = 256, max_position = 512, span = 256} : tensor<TxTxi32>")),
            (.attentionScores, OpInfo(.attentionScores, group: .attention, operands: ["q", "k"], attributes: [heads],
                rule: TypeRules.attentionScores,
                summary: "content-to-content scores: s[b, h, i, j] = q[b, i, h, :] · k[b, j, h, :] (heads split the last axis)",
                example: "%s = attention_scores(%q, %k) {heads = 24} : tensor<Bx24xTxTxf32>")),
            (.c2pScores, OpInfo(.c2pScores, group: .attention, operands: ["q", "pos_key", "idx"], attributes: [heads],
                rule: TypeRules.relativeScores,
                summary: "content-to-position: s[b, h, i, j] = q[b, i, h, :] · pos_key[idx[i, j], h, :]",
                example: "%s = c2p_scores(%q, %pos_key, %idx) {heads = 24} : tensor<Bx24xTxTxf32>")),
            (.p2cScores, OpInfo(.p2cScores, group: .attention, operands: ["k", "pos_query", "idx"], attributes: [heads],
                rule: TypeRules.relativeScores,
                summary: "position-to-content: s[b, h, i, j] = k[b, j, h, :] · pos_query[idx[i, j], h, :] (same idx as c2p)",
                example: "%s = p2c_scores(%k, %pos_query, %idx) {heads = 24} : tensor<Bx24xTxTxf32>")),
            (.maskedSoftmax, OpInfo(.maskedSoftmax, group: .attention, operands: ["s", "mask"], inPlace: [0],
                rule: TypeRules.maskedSoftmax,
                summary: "softmax over j after setting s[b, h, i, j] to −FLT_MAX where mask[b, i] · mask[b, j] = 0",
                example: "%p = masked_softmax(%s, %attention_mask) : tensor<Bx24xTxTxf32>")),
            (.mixHeads, OpInfo(.mixHeads, group: .attention, operands: ["s", "weight"],
                rule: TypeRules.mixHeads,
                summary: "out[b, g, i, j] = Σ_h weight[g, h] · s[b, h, i, j]: a bias-free Linear over the head axis (DeBERTa v1's talking_head: head_logits_proj before the softmax, head_weights_proj after it)",
                example: "%m = mix_heads(%s, %w) : tensor<Bx16xTxTxf32>")),
            (.attentionContext, OpInfo(.attentionContext, group: .attention, operands: ["p", "v"], attributes: [heads],
                rule: TypeRules.attentionContext,
                summary: "c[b, i, h, :] = Σ_j p[b, h, i, j] · v[b, j, h, :], heads merged back into the last axis",
                example: "%c = attention_context(%p, %v) {heads = 24} : tensor<BxTx1536xf32>")),
            (.firstToken, OpInfo(.firstToken, group: .data, operands: ["x"], rule: TypeRules.firstToken,
                summary: "x[:, 0, :], the [CLS] position",
                example: "%c = first_token(%h) : tensor<Bx1536xf32>")),
        ]
        return Dictionary(uniqueKeysWithValues: entries + fusedEntries)
    }()
}

/// Broad families of ops, for passes that treat a family alike.
public enum OpGroup: String, Sendable {
    /// `constant`: no operands, data outside the IR.
    case source
    /// Unary elementwise activations (`gelu`, `relu`, ...): f32 in, same type out.
    case activation
    /// Elementwise arithmetic with broadcasting (`add`, `mul`, `scale`).
    case binary
    /// Contractions with a weight (`linear`, `conv1d`).
    case matmul
    /// `layer_norm`.
    case normalization
    /// Indexing and data movement (`gather`, `prefix_rows`, `slice_rows`, `mask_rows`, `first_token`).
    case data
    /// Attention-specific ops.
    case attention
}

/// How an attribute value is constrained beyond its kind.
public enum AttributeConstraint: Sendable {
    /// Any value of the declared kind.
    case any
    /// An integer > 0, or a finite float > 0.
    case positive
    /// An integer ≥ 0.
    case nonNegative
    /// A finite float.
    case finite
    /// A non-empty string.
    case nonEmpty
    /// One of these strings.
    case oneOf([String])

    /// Nil when `value` satisfies the constraint, else what was expected.
    func violation(_ value: Attribute) -> String? {
        switch (self, value) {
        case (.any, _): nil
        case let (.positive, .int(v)): v > 0 ? nil : "a positive integer"
        case let (.positive, .float(v)): v > 0 && v.isFinite ? nil : "a positive finite float"
        case let (.nonNegative, .int(v)): v >= 0 ? nil : "a non-negative integer"
        case let (.finite, .float(v)): v.isFinite ? nil : "a finite float"
        case let (.nonEmpty, .string(s)): s.isEmpty ? "a non-empty string" : nil
        case let (.oneOf(choices), .string(s)): choices.contains(s) ? nil : "one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")
        default: nil
        }
    }
}

/// Declaration of one attribute an op requires (or, when `isOptional`, accepts).
public struct AttributeSpec: Sendable {
    /// Attribute name, as written in `{name = value}`.
    public let name: String
    /// Required kind; an integer is not accepted where a float is declared.
    public let kind: AttributeKind
    /// Further constraint on the value.
    public let constraint: AttributeConstraint
    /// Whether the op may omit the attribute.
    public let isOptional: Bool

    init(_ name: String, _ kind: AttributeKind, _ constraint: AttributeConstraint, optional: Bool = false) {
        self.name = name
        self.kind = kind
        self.constraint = constraint
        self.isOptional = optional
    }

    /// `precision`, optional on `linear` and `linear_act`: the arithmetic the backend compiles
    /// the product in ("bf16" or "int8"; absent means fp32). Set by `assign-precision`.
    static let precision = AttributeSpec("precision", .string, .oneOf(ComputePrecision.reduced.map(\.rawValue)), optional: true)
}

/// The inputs of a type rule: the operand types and attributes of one op (already
/// checked for count and kinds), and the type its result is declared with.
public struct TypeRuleInput: Sendable {
    /// Operand types, in operand order.
    public let operands: [TensorType]
    /// The op's attributes.
    public let attributes: Attributes
    /// The result type written in the IR (only `constant` takes it as given).
    public let declared: TensorType

    /// The integer attribute `name` (the verifier has checked that it exists).
    func int(_ name: String) -> Int { attributes[name]?.intValue ?? 0 }
}

/// Why a type rule rejected an op; the verifier adds the location.
public struct TypeRuleError: Error, Sendable {
    /// What is wrong, lowercase.
    public let message: String
    /// An error with `message`.
    public init(_ message: String) { self.message = message }
}

/// The properties of one op kind. Built only by the table in `OpKind`.
public struct OpInfo: Sendable {
    /// Name in the textual IR.
    public let name: String
    /// Family of the op.
    public let group: OpGroup
    /// Operand names, for messages and docs; the last `optionalOperands` may be omitted.
    public let operandNames: [String]
    /// Valid operand counts.
    public let operandCount: ClosedRange<Int>
    /// Attributes (required unless `isOptional`), sorted by name; no others are allowed.
    public let attributes: [AttributeSpec]
    /// Whether each result element depends only on the same-index (broadcast) operand elements.
    public let isElementwise: Bool
    /// Operands whose buffer the result may overwrite, when that operand has the result's
    /// type and no later use (row-wise ops such as `layer_norm` qualify, matmuls do not).
    public let inPlaceOperands: [Int]
    /// One-line semantics, for docs and messages.
    public let summary: String
    /// A one-line example in the textual IR.
    public let example: String
    /// Computes the result type from operand types and attributes, or explains the mismatch.
    public let typeRule: @Sendable (TypeRuleInput) throws(TypeRuleError) -> TensorType

    init(_ kind: OpKind, group: OpGroup, operands: [String], optionalOperands: Int = 0,
         attributes: [AttributeSpec] = [], elementwise: Bool = false, inPlace: [Int] = [],
         rule: @escaping @Sendable (TypeRuleInput) throws(TypeRuleError) -> TensorType,
         summary: String, example: String) {
        self.name = kind.rawValue
        self.group = group
        self.operandNames = operands
        self.operandCount = (operands.count - optionalOperands)...operands.count
        self.attributes = attributes.sorted { $0.name < $1.name }
        self.isElementwise = elementwise
        self.inPlaceOperands = inPlace
        self.summary = summary
        self.example = example
        self.typeRule = rule
    }
}
