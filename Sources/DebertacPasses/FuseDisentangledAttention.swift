import DebertacIR

/// `fuse-attention`: turns each layer's attention, from the score terms to the context, into
/// one `disentangled_attention` op.
///
/// Before: `attention_scores(q, k)`, `c2p_scores(q, Pk, idx)`, `p2c_scores(k, Pq, idx)`,
/// their `add`s, `scale`, `masked_softmax(·, mask)`, `attention_context(·, v)`: four or
/// five `[B, H, T, T]` tensors per layer, two of them gathered from `[B, H, T, 2·span]`
/// products. After: `disentangled_attention(q, k, v, mask, Pk, Pq, table)`, whose kernel
/// works one `(b, h)` block at a time and multiplies q and k only with the position rows
/// that length T reaches (docs/ir.md, docs/passes.md). The `rel_pos_index` op, a
/// `[T, T]` table computed at run time, becomes a `rel_bucket_table` over `i − j` for the
/// model's maximum length, which `fold-constants` evaluates at compile time.
///
/// Handles every variant: c2p and p2c, either alone, or neither (relative attention off,
/// or no position terms), with or without the `scale` (absent after `fold-attention-scale`).
public struct FuseDisentangledAttention: Pass {
    public let name = "fuse-attention"
    public let summary = "fuse c2c/c2p/p2c scores, scale, masked softmax and context into disentangled_attention"

    public init() {}

    public func run(on graph: inout Graph, context: PassContext) throws -> PassStatistics {
        var statistics = PassStatistics()
        var tables: [ValueID: ValueID] = [:]  // rel_pos_index → its rel_bucket_table
        for id in graph.ops where graph.contains(op: id) {
            let contextOp = graph[op: id]
            guard contextOp.kind == .attentionContext, let heads = contextOp.attributes["heads"]?.intValue else { continue }
            let uses = graph.useCounts()
            let (probs, v) = (contextOp.operands[0], contextOp.operands[1])
            guard uses[probs] == 1, let softmaxID = graph.definingOp(of: probs),
                  graph[op: softmaxID].kind == .maskedSoftmax else { continue }
            let (scores, mask) = (graph[op: softmaxID].operands[0], graph[op: softmaxID].operands[1])
            var dead = [id, softmaxID]
            var factor = 1.0
            var root = scores
            if let scaleID = graph.definingOp(of: scores), graph[op: scaleID].kind == .scale, uses[scores] == 1,
               let f = graph[op: scaleID].attributes["factor"]?.floatValue {
                factor = f
                root = graph[op: scaleID].operands[0]
                dead.append(scaleID)
            }
            guard let sum = ScoreSum.match(root, in: graph, uses: uses), sum.heads == heads else { continue }
            var table: ValueID?
            if let index = sum.index {
                guard let indexOp = graph.definingOp(of: index), graph[op: indexOp].kind == .relPosIndex else { continue }
                table = try tables[index] ?? makeTable(for: indexOp, in: &graph, context: context)
                tables[index] = table
            }
            var operands = [sum.q, sum.k, v, mask]
            operands += [sum.posKey, sum.posQuery, table].compactMap { $0 }
            let attributes: Attributes = [
                "c2p": .int(sum.c2p == nil ? 0 : 1), "heads": .int(heads),
                "p2c": .int(sum.p2c == nil ? 0 : 1), "scale": .float(factor),
            ]
            let fused = try graph.insert(.disentangledAttention, operands, attributes, name: graph.name(of: contextOp.result) + ".fused",
                                         at: graph.position(of: id)!, pass: name)
            dead += sum.adds + sum.terms
            let materialised = dead.filter { graph.type(of: graph[op: $0].result).rank == 4 }.count
            graph.replace(contextOp.result, with: fused, removing: dead)
            statistics.add(1, "attention blocks fused")
            statistics.add(dead.count, "ops replaced")
            statistics.add(materialised, "[B, H, T, T] tensors eliminated")
        }
        for index in tables.keys where graph.useCounts()[index] == nil {
            graph.removeOp(graph.definingOp(of: index)!)
            statistics.add(1, "rel_pos_index ops replaced by tables")
        }
        return statistics
    }

    /// A `rel_bucket_table` with the attributes of the `rel_pos_index` op `indexOp`, for
    /// `i − j` up to the model's longest sequence, inserted right before it.
    private func makeTable(for indexOp: OpID, in graph: inout Graph, context: PassContext) throws(PassError) -> ValueID {
        var attributes = graph[op: indexOp].attributes
        attributes["radius"] = .int(context.maxSequenceLength - 1)
        return try graph.insert(.relBucketTable, [], attributes, name: "rel.table", at: graph.position(of: indexOp)!, pass: name)
    }
}
