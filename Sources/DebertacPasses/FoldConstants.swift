import DebertacIR
import DebertacInterpreter

/// `fold-constants`: evaluates every op that depends on weights alone at compile time, with
/// the reference interpreter's kernels, and replaces it by a computed constant.
///
/// In the DeBERTa graph that is the normalised relative embeddings, every layer's position
/// keys and queries, the relative-position bucket table, and what earlier passes left as
/// weight-side ops (the scaled query weights and position queries, the concatenated
/// Q, K, V weights, combined biases). A folded op keeps its value name and position and
/// becomes `%name = constant @fold.name`; the tensor goes into `context.constants`.
/// Constants that only folded ops read are removed as soon as the last of them folds (and a
/// computed one's data dropped), so intermediate results never pile up.
///
/// Ops whose operands have no data (IR text without a checkpoint) are left in place and
/// reported in the statistics and as a remark; ops without operands (`rel_bucket_table`)
/// always fold.
public struct FoldConstants: Pass {
    public let name = "fold-constants"
    public let summary = "evaluate weights-only ops at compile time (interpreter kernels) into computed constants"

    public init() {}

    public func run(on graph: inout Graph, context: PassContext) throws -> PassStatistics {
        var statistics = PassStatistics()
        statistics.add(0, "ops folded")  // fixes the order of the --stats line
        statistics.add(0, "bytes computed")
        let store = context.constants
        var remaining = graph.useCounts()
        for id in graph.ops {
            let op = graph[op: id]
            guard op.kind != .constant, graph.type(of: op.result).staticShape != nil else { continue }
            let definers = op.operands.map { graph.definingOp(of: $0) }
            guard definers.allSatisfy({ $0.map { graph[op: $0].kind == .constant } ?? false }) else { continue }
            let names = definers.map { graph[op: $0!].constantName! }
            guard names.allSatisfy({ store.hasData(for: $0) }) else {
                statistics.add(1, "ops left unfolded (constant data unknown)")
                continue
            }
            let tensor = try evaluate(op, operandNames: names, in: graph, store: store)
            let constantName = uniqueConstantName("fold." + graph.name(of: op.result), in: store)
            store.store(tensor, as: constantName)
            graph.setKind(id, .constant)
            graph.setOperands(id, [])
            graph.setAttributes(id, ["name": .string(constantName)])
            statistics.add(1, "ops folded")
            statistics.add(tensor.count * 4, "bytes computed")
            // Constants only folded ops read go now, computed ones with their data, so that
            // intermediate results (a scaled weight before its concatenation) do not pile up.
            for (operand, name) in zip(op.operands, names) {
                remaining[operand, default: 0] -= 1
                guard remaining[operand] == 0, graph.contains(value: operand) else { continue }
                if store.isComputed(name) {
                    store.removeComputed(name)
                } else {
                    statistics.add((graph.type(of: operand).staticShape ?? []).reduce(4, *), "bytes of weights no longer needed")
                }
                graph.removeOp(graph.definingOp(of: operand)!)
                statistics.add(1, "constants removed")
            }
        }
        if statistics["ops left unfolded (constant data unknown)"] > 0 {
            context.remark(name, "left \(statistics["ops left unfolded (constant data unknown)"]) weights-only ops unfolded because their weights' data is unknown (no checkpoint given)")
        }
        return statistics
    }

    /// Runs `op` alone on the interpreter: a graph of one constant per operand and the op.
    private func evaluate(_ op: Op, operandNames: [String], in graph: Graph, store: ConstantStore) throws(PassError) -> HostTensor {
        var single = Graph(name: "fold")
        var operands: [ValueID] = []
        for (index, (operand, constantName)) in zip(op.operands, operandNames).enumerated() {
            operands.append(single.append(.constant, [], attributes: ["name": .string(constantName)],
                                          type: graph.type(of: operand), name: "operand\(index)"))
        }
        let result = single.append(op.kind, operands, attributes: op.attributes, type: graph.type(of: op.result), name: "result")
        single.setOutputs([result])
        do {
            return try Interpreter(graph: single, constants: store).run(inputs: [:])[0]
        } catch {
            throw .foldingFailed(pass: name, value: graph.name(of: op.result), message: error.description)
        }
    }

    /// `base`, or `base.1`, `base.2`, ... if the store already holds a tensor of that name.
    private func uniqueConstantName(_ base: String, in store: ConstantStore) -> String {
        guard store.isComputed(base) else { return base }
        var n = 1
        while store.isComputed("\(base).\(n)") { n += 1 }
        return "\(base).\(n)"
    }
}
