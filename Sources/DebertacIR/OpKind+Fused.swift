/// The op-table entries of the ops that optimisation passes create (docs/passes.md):
/// fused kernels and the weight-side helpers that constant folding evaluates at compile
/// time. The DeBERTa builder never emits them. Kept apart from the builder's ops so the
/// two lists can evolve independently; `OpKind.table` merges both.
extension OpKind {
    /// Entries for `relBucketTable`, `concatRows`, `addPrefixRows`, `linearAct`, `addLayerNorm`,
    /// `maskedLayerNorm`, `disentangledAttention` and `disentangledAttentionQKV`.
    static var fusedEntries: [(OpKind, OpInfo)] {
        let eps = AttributeSpec("eps", .float, .positive)
        let attention = [AttributeSpec("c2p", .int, .nonNegative), AttributeSpec("heads", .int, .positive),
                         AttributeSpec("p2c", .int, .nonNegative), AttributeSpec("scale", .float, .finite),
                         AttributeSpec("precision", .string, .oneOf(["bf16"]), optional: true)]
        return [
            (.relBucketTable, OpInfo(.relBucketTable, group: .attention, operands: [],
                attributes: [AttributeSpec("buckets", .int, .any), AttributeSpec("max_position", .int, .positive),
                             AttributeSpec("radius", .int, .nonNegative), AttributeSpec("span", .int, .positive)],
                rule: TypeRules.relBucketTable,
                summary: "table[r + radius] = clamp(bucket(r) + span, 0, 2 · span − 1) for r in −radius ... radius: rel_pos_index as a function of i − j",
                example: "%t = rel_bucket_table() {buckets = 256, max_position = 512, radius = 511, span = 256} : tensor<1023xi32>")),
            (.concatRows, OpInfo(.concatRows, group: .data, operands: ["a", "b", "c"], optionalOperands: 1,
                rule: TypeRules.concatRows,
                summary: "the operands stacked along the first axis (static first dimensions, equal trailing dimensions)",
                example: "%w = concat_rows(%wq, %wk, %wv) : tensor<4608x1536xf32>")),
            (.addPrefixRows, OpInfo(.addPrefixRows, group: .binary, operands: ["x", "table"], elementwise: true, inPlace: [0],
                rule: TypeRules.addPrefixRows,
                summary: "x[b, t, :] + table[t, :] for x [B, T, D] and a static table [N, D]: `add(x, prefix_rows(table))` without materialising the rows; requires T ≤ N at run time",
                example: "%e = add_prefix_rows(%words, %position_table) : tensor<BxTx768xf32>")),
            (.linearAct, OpInfo(.linearAct, group: .matmul, operands: ["x", "weight", "bias"], optionalOperands: 1,
                attributes: [AttributeSpec("activation", .string, .nonEmpty), .precision],
                rule: TypeRules.linearAct,
                summary: "activation(x · weightᵀ + bias): `linear` with its activation in the epilogue; `activation` names an activation op",
                example: "%y = linear_act(%x, %w, %b) {activation = \"gelu\"} : tensor<BxTx6144xf32>")),
            (.addLayerNorm, OpInfo(.addLayerNorm, group: .normalization, operands: ["a", "b", "gamma", "beta", "mask"],
                optionalOperands: 1, attributes: [eps], inPlace: [0, 1],
                rule: TypeRules.addLayerNorm,
                summary: "layer_norm(a + b) (a, b of the same type), rows then multiplied by mask when it is given",
                example: "%h = add_layer_norm(%dense, %x, %gamma, %beta) {eps = 1e-07} : tensor<BxTx1536xf32>")),
            (.maskedLayerNorm, OpInfo(.maskedLayerNorm, group: .normalization, operands: ["x", "gamma", "beta", "mask"],
                attributes: [eps], inPlace: [0],
                rule: TypeRules.maskedLayerNorm,
                summary: "layer_norm(x) with each row then multiplied by mask[b, t]",
                example: "%h = masked_layer_norm(%x, %gamma, %beta, %attention_mask) {eps = 1e-07} : tensor<BxTx1536xf32>")),
            (.disentangledAttention, OpInfo(.disentangledAttention, group: .attention,
                operands: ["q", "k", "v", "mask", "pos_key", "pos_query", "rel_table"], optionalOperands: 3,
                attributes: attention, rule: TypeRules.disentangledAttention,
                summary: "softmax_j(mask(scale · (q_i·k_j + [c2p] q_i·pos_key[idx(i,j)] + [p2c] k_j·pos_query[idx(i,j)]))) · v per head, idx(i,j) = rel_table[clamp(i − j, −R, R) + R]; positional operands: pos_key if c2p, pos_query if p2c, rel_table if either",
                example: "%c = disentangled_attention(%q, %k, %v, %attention_mask, %pos_key, %pos_query, %rel_table) {c2p = 1, heads = 24, p2c = 1, scale = 1.0} : tensor<BxTx1536xf32>")),
            (.disentangledAttentionQKV, OpInfo(.disentangledAttentionQKV, group: .attention,
                operands: ["qkv", "mask", "pos_key", "pos_query", "rel_table"], optionalOperands: 3,
                attributes: attention, rule: TypeRules.disentangledAttentionQKV,
                summary: "disentangled_attention with q, k, v packed as the column blocks of one [B, T, 3·H·D] tensor",
                example: "%c = disentangled_attention_qkv(%qkv, %attention_mask, %pos_key, %pos_query, %rel_table) {c2p = 1, heads = 24, p2c = 1, scale = 1.0} : tensor<BxTx1536xf32>")),
        ]
    }
}
