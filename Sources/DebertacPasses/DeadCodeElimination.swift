import DebertacIR

/// `dce`: removes every op whose result nothing reads (neither an op nor `return`),
/// repeatedly, so chains of dead ops and the constants only they read all go.
public struct DeadCodeElimination: Pass {
    public let name = "dce"
    public let summary = "remove ops whose results are never read"

    public init() {}

    public func run(on graph: inout Graph, context: PassContext) throws -> PassStatistics {
        var statistics = PassStatistics()
        let before = Set(graph.ops)
        let constantBytes = Dictionary(uniqueKeysWithValues: graph.ops.compactMap { id -> (OpID, Int)? in
            guard graph[op: id].kind == .constant else { return nil }
            return (id, (graph.type(of: graph[op: id].result).staticShape ?? []).reduce(4, *))
        })
        statistics.add(graph.removeDeadOps(), "ops removed")
        for id in before.subtracting(graph.ops) {
            if let bytes = constantBytes[id] {
                statistics.add(1, "constants removed")
                statistics.add(bytes, "constant bytes dropped")
            }
        }
        return statistics
    }
}
