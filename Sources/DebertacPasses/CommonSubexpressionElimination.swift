import DebertacIR

/// `cse`: computes identical ops once. Two ops are identical when they have the same kind,
/// operands, attributes and result type (all ops are pure); constants are identical when
/// they name the same tensor. The later op's uses move to the earlier one.
public struct CommonSubexpressionElimination: Pass {
    public let name = "cse"
    public let summary = "replace ops identical to an earlier op (kind, operands, attributes, type) by its result"

    public init() {}

    private struct Key: Hashable {
        let kind: OpKind
        let operands: [ValueID]
        let attributes: Attributes
        let type: TensorType
    }

    public func run(on graph: inout Graph, context: PassContext) throws -> PassStatistics {
        var statistics = PassStatistics()
        var seen: [Key: ValueID] = [:]
        for id in graph.ops {
            let op = graph[op: id]
            let key = Key(kind: op.kind, operands: op.operands, attributes: op.attributes, type: graph.type(of: op.result))
            guard let earlier = seen[key] else {
                seen[key] = op.result
                continue
            }
            graph.replaceAllUses(of: op.result, with: earlier)
            graph.removeOp(id)
            statistics.add(1, "ops deduplicated")
        }
        return statistics
    }
}
