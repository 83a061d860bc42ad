import DebertacIR

/// `fold-masks`: removes a `mask_rows` whose zeroed rows never matter because every path
/// from it reaches the same mask again through row-local ops.
///
/// A row-local op computes row `(b, t)` of its result from row `(b, t)` of its operands
/// (elementwise ops, `layer_norm`, `linear` and their fused forms). If `y = mask_rows(x, m)`
/// feeds only such ops, and every path ends in `mask_rows(·, m)`, then padded rows of `y`
/// can only reach rows that are zeroed again, and real rows are unchanged: `y` may be `x`.
/// In DeBERTa this is the ConvLayer's `masked_fill` of the convolution output, which the
/// final `mask_rows` of the layer makes redundant. Paths through ops that mix rows
/// (`conv1d`, attention, `first_token`) keep the mask.
public struct FoldRedundantMasks: Pass {
    public let name = "fold-masks"
    public let summary = "remove mask_rows ops whose rows are masked again downstream through row-local ops"

    public init() {}

    /// Ops whose row (b, t) depends only on row (b, t) of each operand.
    static let rowLocal: Set<OpKind> = Set(OpKind.allCases.filter { $0.info.isElementwise })
        .union([.layerNorm, .linear, .linearAct, .addLayerNorm, .maskedLayerNorm])

    public func run(on graph: inout Graph, context: PassContext) throws -> PassStatistics {
        var statistics = PassStatistics()
        for id in graph.ops where graph.contains(op: id) && graph[op: id].kind == .maskRows {
            let op = graph[op: id]
            let users = graph.users()
            let outputs = Set(graph.outputs)
            guard reachesMaskAgain(op.result, mask: op.operands[1], graph: graph, users: users, outputs: outputs) else { continue }
            graph.replaceAllUses(of: op.result, with: op.operands[0])
            graph.removeOp(id)
            statistics.add(1, "masks removed")
        }
        return statistics
    }

    /// Whether every use of `value` is `mask_rows(value, mask)` or a row-local op with rows
    /// of the mask's shape whose result satisfies the same.
    private func reachesMaskAgain(_ value: ValueID, mask: ValueID, graph: Graph, users: [ValueID: [OpID]], outputs: Set<ValueID>) -> Bool {
        guard !outputs.contains(value), let readers = users[value], !readers.isEmpty else { return false }
        let rows = graph.type(of: mask).shape
        for reader in readers {
            let op = graph[op: reader]
            if op.kind == .maskRows && op.operands == [value, mask] { continue }
            let type = graph.type(of: op.result)
            guard Self.rowLocal.contains(op.kind), op.kind != .maskRows || op.operands[1] != value,
                  type.rank == rows.count + 1, Array(type.shape.dropLast()) == rows,
                  reachesMaskAgain(op.result, mask: mask, graph: graph, users: users, outputs: outputs) else { return false }
        }
        return true
    }
}
