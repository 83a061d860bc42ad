import DebertacIR

/// `fold-attention-scale`: removes the `scale` of the attention scores by moving the factor
/// into the weights.
///
/// The scores are `f · (q·kᵀ + q·Pkᵀ + k·Pqᵀ)` with `f = 1/sqrt(d · (1 + n))`. Every term is
/// linear in q except p2c, which is linear in Pq, so `f` moves into the query projection
/// (`q = x·(f·Wq)ᵀ + f·bq`) and into the position-query table (`f · Pq`). The pass inserts
/// `scale` ops on those weights-only values; `fold-constants` evaluates them at compile
/// time. It applies when q is a `linear` of weights-only weight and bias read only by the
/// score terms, and Pq (if any) is weights-only.
public struct FoldAttentionScale: Pass {
    public let name = "fold-attention-scale"
    public let summary = "move the attention scale 1/sqrt(d·n) into the query projection and the position-query table"

    public init() {}

    public func run(on graph: inout Graph, context: PassContext) throws -> PassStatistics {
        var statistics = PassStatistics()
        let weightsOnly = graph.weightsOnlyValues()
        for id in graph.ops where graph.contains(op: id) {
            let op = graph[op: id]
            guard op.kind == .scale, let factor = op.attributes["factor"]?.floatValue else { continue }
            let uses = graph.useCounts()
            guard let sum = ScoreSum.match(op.operands[0], in: graph, uses: uses),
                  uses[sum.q] == 1 + (sum.c2p == nil ? 0 : 1),
                  let projection = graph.definingOp(of: sum.q), graph[op: projection].kind == .linear,
                  graph[op: projection].operands.dropFirst().allSatisfy({ weightsOnly.contains($0) }),
                  sum.posQuery.map({ weightsOnly.contains($0) }) ?? true else { continue }
            let attributes: Attributes = ["factor": .float(factor)]

            // q = linear(x, f·W, f·b)
            var position = graph.position(of: projection)!
            for index in 1..<graph[op: projection].operands.count {
                let weight = graph[op: projection].operands[index]
                let scaled = try graph.insert(.scale, [weight], attributes, name: graph.name(of: weight) + ".scaled",
                                              at: position, pass: name)
                position += 1
                graph.setOperand(projection, index, to: scaled)
                statistics.add(1, "weights scaled")
            }
            // p2c reads f·Pq.
            if let p2c = sum.p2c, let posQuery = sum.posQuery, let definer = graph.definingOp(of: posQuery) {
                let scaled = try graph.insert(.scale, [posQuery], attributes, name: graph.name(of: posQuery) + ".scaled",
                                              at: graph.position(of: definer)! + 1, pass: name)
                graph.setOperand(p2c, 1, to: scaled)
                statistics.add(1, "position-query tables scaled")
            }
            graph.replace(op.result, with: sum.root, removing: [id])
            statistics.add(1, "attention scales folded")
        }
        return statistics
    }
}
