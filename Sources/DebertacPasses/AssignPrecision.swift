import DebertacIR

/// `assign-precision`: with `--precision bf16` or `int8` (`PassContext.precision`), marks each
/// per-token `linear` / `linear_act` with a constant weight `{precision = "bf16"}` (or
/// `"int8"`), which the backend compiles with its reduced-precision kernels
/// (docs/precision.md). A no-op at fp32.
///
/// What stays fp32, and why (measured in docs/precision.md): the per-sequence head (pooler and
/// classifier: one row per sequence, no time to win, and the logits are what users compare);
/// products whose weight is computed at run time (the attention's own products live inside
/// `disentangled_attention`); and the `linear` ops listed by `keptInFP32`.
public struct AssignPrecision: Pass {
    public let name = "assign-precision"
    public let summary = "mark per-token linears with constant weights for bf16 or int8 kernels (--precision)"

    public init() {}

    /// Whether a `linear` stays fp32 at `precision`, by its result's name.
    public static func keptInFP32(_ resultName: String, precision: ComputePrecision) -> Bool {
        false
    }

    public func run(on graph: inout Graph, context: PassContext) throws -> PassStatistics {
        var statistics = PassStatistics()
        guard context.precision != .fp32 else { return statistics }
        let weightsOnly = graph.weightsOnlyValues()
        for id in graph.ops where [.disentangledAttention, .disentangledAttentionQKV].contains(graph[op: id].kind) {
            guard graph[op: id].attributes["precision"] == nil else { continue }
            var attributes = graph[op: id].attributes
            attributes["precision"] = .string(ComputePrecision.bf16.rawValue)
            graph.setAttributes(id, attributes)
            statistics.add(1, "attention ops in bf16")
        }
        for id in graph.ops where [.linear, .linearAct].contains(graph[op: id].kind) {
            let op = graph[op: id]
            guard op.attributes["precision"] == nil, weightsOnly.contains(op.operands[1]),
                  graph.type(of: op.operands[0]).rank >= 3 else { continue }
            if Self.keptInFP32(graph.name(of: op.result), precision: context.precision) {
                statistics.add(1, "linears kept in fp32")
                continue
            }
            var attributes = op.attributes
            attributes["precision"] = .string(context.precision.rawValue)
            graph.setAttributes(id, attributes)
            statistics.add(1, "linears in \(context.precision)")
        }
        return statistics
    }
}
