/// The optimisation pipeline: the one place that lists the passes, in order.
public enum Pipeline {
    /// The default pipeline, top to bottom. Rewrites that only move weight-side work come
    /// first and leave it as weights-only ops (`scale`, `concat_rows`, `rel_bucket_table`,
    /// the position projections); `fold-constants` then evaluates all of it at once.
    public static func defaultPasses() -> [any Pass] {
        [
            FoldAttentionScale(),          // 1/sqrt(d·n) moves into the query weights and the position queries
            FuseDisentangledAttention(),   // c2c + c2p + p2c, scale, mask, softmax, context → disentangled_attention
            MergeQKVProjections(),         // q, k, v linears of one input → one linear on concat_rows weights
            FuseLinearEpilogue(),          // bias add and activation → the linear's epilogue (linear_act)
            FusePrefixRows(),              // add(x, prefix_rows(P)) → add_prefix_rows(x, P): no weight copy at run time
            FoldConstants(),               // every weights-only op → a computed constant (interpreter kernels)
            FoldRedundantMasks(),          // mask_rows whose rows are masked again downstream → removed
            FuseResidualLayerNorm(),       // add + layer_norm (+ mask_rows) → add_layer_norm / masked_layer_norm
            CommonSubexpressionElimination(),  // identical ops computed once
            DeadCodeElimination(),         // ops whose results nobody reads → removed
            AssignPrecision(),             // --precision bf16|int8: per-token linears marked {precision = ...}
        ]
    }

    /// Every pass by name: the default pipeline's passes (in its order).
    public static var allPasses: [any Pass] { defaultPasses() }

    /// The names of the default pipeline, in order.
    public static var defaultPassNames: [String] { defaultPasses().map(\.name) }

    /// The pass named `name`.
    public static func pass(named name: String) throws(PassError) -> any Pass {
        guard let pass = allPasses.first(where: { $0.name == name }) else {
            throw .unknownPass(name: name, known: allPasses.map(\.name))
        }
        return pass
    }

    /// The passes to run: `list` (names in order; empty runs nothing) or, when nil, the
    /// default pipeline; then without every pass named in `disabled`. Unknown names in
    /// either are errors.
    public static func passes(list: [String]?, disabled: [String] = []) throws(PassError) -> [any Pass] {
        for name in disabled { _ = try pass(named: name) }
        var passes: [any Pass] = []
        if let list {
            for name in list { passes.append(try pass(named: name)) }
        } else {
            passes = defaultPasses()
        }
        return passes.filter { !disabled.contains($0.name) }
    }

    /// `"a,b, c"` → `["a", "b", "c"]`; the empty string is the empty list.
    public static func parseList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
