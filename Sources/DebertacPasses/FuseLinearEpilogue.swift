import DebertacIR

/// `fuse-linear-epilogue`: folds what follows a `linear` into its epilogue, so the matmul
/// writes its final result once.
///
/// - A bias added after the product, `add(linear(x, W[, b]), c)` with `c` a weights-only
///   `[N]` vector, becomes `linear(x, W, b + c)` (the `add` of the two biases is weights-only
///   and folded by `fold-constants`).
/// - An activation of a `linear` read by nothing else, `act(linear(x, W, b))`, becomes
///   `linear_act(x, W, b) {activation = "act"}`.
///
/// The DeBERTa builder already emits biases as `linear` operands; the activation rewrite
/// fuses the feed-forward GELU and the pooler activation.
public struct FuseLinearEpilogue: Pass {
    public let name = "fuse-linear-epilogue"
    public let summary = "fuse bias adds and activations into the linear that produces their input (linear_act)"

    public init() {}

    public func run(on graph: inout Graph, context: PassContext) throws -> PassStatistics {
        var statistics = PassStatistics()
        let weightsOnly = graph.weightsOnlyValues()
        for id in graph.ops where graph.contains(op: id) && graph[op: id].kind == .add {
            let add = graph[op: id]
            let uses = graph.useCounts()
            for (side, other) in [(0, 1), (1, 0)] {
                let product = add.operands[side], bias = add.operands[other]
                guard uses[product] == 1, let linearID = graph.definingOp(of: product), graph[op: linearID].kind == .linear,
                      weightsOnly.contains(bias), graph.type(of: add.result) == graph.type(of: product) else { continue }
                let linear = graph[op: linearID]
                let width = graph.type(of: linear.operands[1]).shape[0]
                guard graph.type(of: bias) == TensorType([width], .f32) else { continue }
                var position = graph.position(of: id)!
                var combined = bias
                if linear.operands.count == 3 {
                    combined = try graph.insert(.add, [linear.operands[2], bias], name: graph.name(of: linear.operands[2]) + ".combined",
                                                at: position, pass: name)
                    position += 1
                }
                let fused = try graph.insert(.linear, [linear.operands[0], linear.operands[1], combined],
                                             name: graph.name(of: add.result) + ".fused", at: position, pass: name)
                graph.replace(add.result, with: fused, removing: [id, linearID])
                statistics.add(1, "bias adds fused")
                break
            }
        }
        for id in graph.ops where graph.contains(op: id) && OpKind.activations.contains(graph[op: id].kind) {
            let activation = graph[op: id]
            let x = activation.operands[0]
            guard graph.useCounts()[x] == 1, let linearID = graph.definingOp(of: x), graph[op: linearID].kind == .linear else { continue }
            let fused = try graph.insert(.linearAct, graph[op: linearID].operands, ["activation": .string(activation.kind.rawValue)],
                                         name: graph.name(of: activation.result) + ".fused", at: graph.position(of: id)!, pass: name)
            graph.replace(activation.result, with: fused, removing: [id, linearID])
            statistics.add(1, "activations fused")
        }
        return statistics
    }
}
