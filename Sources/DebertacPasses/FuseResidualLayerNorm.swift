import DebertacIR

/// `fuse-add-layer-norm`: fuses the residual `add` into the `layer_norm` that reads it, and the
/// `mask_rows` that follows a layer norm into it.
///
/// - `layer_norm(add(a, b))`, with `a`, `b` of the same type and the sum read only by the
///   norm → `add_layer_norm(a, b, gamma, beta)`: one pass over the rows instead of writing
///   and re-reading the sum.
/// - `mask_rows(add_layer_norm(...), m)` → `add_layer_norm(..., m)`, and
///   `mask_rows(layer_norm(x), m)` → `masked_layer_norm(x, gamma, beta, m)`: the embedding
///   output and the ConvLayer output multiply by the mask in the norm's epilogue.
///
/// The fused op takes the name of the last op it replaces, so `%hidden.<i>` stays observable.
public struct FuseResidualLayerNorm: Pass {
    public let name = "fuse-add-layer-norm"
    public let summary = "fuse residual adds and trailing masks into layer norms (add_layer_norm, masked_layer_norm)"

    public init() {}

    public func run(on graph: inout Graph, context: PassContext) throws -> PassStatistics {
        var statistics = PassStatistics()
        for id in graph.ops where graph.contains(op: id) && graph[op: id].kind == .layerNorm {
            let norm = graph[op: id]
            let sum = norm.operands[0]
            guard graph.useCounts()[sum] == 1, let addID = graph.definingOp(of: sum), graph[op: addID].kind == .add else { continue }
            let (a, b) = (graph[op: addID].operands[0], graph[op: addID].operands[1])
            guard graph.type(of: a) == graph.type(of: sum), graph.type(of: b) == graph.type(of: sum) else { continue }
            let fused = try graph.insert(.addLayerNorm, [a, b, norm.operands[1], norm.operands[2]], norm.attributes,
                                         name: graph.name(of: norm.result) + ".fused", at: graph.position(of: id)!, pass: name)
            graph.replace(norm.result, with: fused, removing: [id, addID])
            statistics.add(1, "residual adds fused")
        }
        for id in graph.ops where graph.contains(op: id) && graph[op: id].kind == .maskRows {
            let maskOp = graph[op: id]
            let (x, mask) = (maskOp.operands[0], maskOp.operands[1])
            guard graph.useCounts()[x] == 1, let normID = graph.definingOp(of: x) else { continue }
            let norm = graph[op: normID]
            switch norm.kind {
            case .addLayerNorm where norm.operands.count == 4:
                // The mask must be defined before the norm that will read it.
                if let definer = graph.definingOp(of: mask), graph.position(of: definer)! > graph.position(of: normID)! { continue }
                graph.setOperands(normID, norm.operands + [mask])
                graph.replace(maskOp.result, with: x, removing: [id])
            case .layerNorm:
                let fused = try graph.insert(.maskedLayerNorm, norm.operands + [mask], norm.attributes,
                                             name: graph.name(of: maskOp.result) + ".fused", at: graph.position(of: id)!, pass: name)
                graph.replace(maskOp.result, with: fused, removing: [id, normID])
            default:
                continue
            }
            statistics.add(1, "masks fused")
        }
        return statistics
    }
}
