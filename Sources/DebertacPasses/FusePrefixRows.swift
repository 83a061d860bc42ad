import DebertacIR

/// `fuse-prefix-rows`: adds absolute position embeddings straight from the weight table.
///
/// `add(x, prefix_rows(P))` copies the first T rows of the position table at run time, an
/// op on weights alone (its size depends on T, so it cannot be folded). It becomes
/// `add_prefix_rows(x, P)`, which reads row t of P while adding it to `x[b, t, :]`.
public struct FusePrefixRows: Pass {
    public let name = "fuse-prefix-rows"
    public let summary = "add position-table rows in place of prefix_rows + add (add_prefix_rows)"

    public init() {}

    public func run(on graph: inout Graph, context: PassContext) throws -> PassStatistics {
        var statistics = PassStatistics()
        for id in graph.ops where graph.contains(op: id) && graph[op: id].kind == .add {
            let add = graph[op: id]
            let uses = graph.useCounts()
            for (side, other) in [(1, 0), (0, 1)] {
                let rows = add.operands[side], x = add.operands[other]
                guard let prefixID = graph.definingOp(of: rows), graph[op: prefixID].kind == .prefixRows,
                      graph.type(of: x) == graph.type(of: add.result) else { continue }
                let table = graph[op: prefixID].operands[0]
                guard (try? OpKind.addPrefixRows.resultType(operandTypes: [graph.type(of: x), graph.type(of: table)],
                                                           attributes: Attributes())) == graph.type(of: add.result) else { continue }
                let fused = try graph.insert(.addPrefixRows, [x, table], name: graph.name(of: add.result) + ".fused",
                                             at: graph.position(of: id)!, pass: name)
                graph.replace(add.result, with: fused, removing: uses[rows] == 1 ? [id, prefixID] : [id])
                statistics.add(1, "position rows fused")
                break
            }
        }
        return statistics
    }
}
