import DebertacIR

/// `merge-qkv`: when q, k and v are `linear`s of one input, computes them with one matmul.
///
/// `disentangled_attention(linear(x, Wq, bq), linear(x, Wk, bk), linear(x, Wv, bv), ...)`
/// becomes `disentangled_attention_qkv(linear(x, concat_rows(Wq, Wk, Wv), concat_rows(bq, bk, bv)), ...)`:
/// one `[B, T, 3·H·D]` product whose column blocks are q, k, v, read in place by the
/// attention kernel. The `concat_rows` ops are weights-only; `fold-constants` turns them
/// into the concatenated (and, after `fold-attention-scale`, scaled) weight.
public struct MergeQKVProjections: Pass {
    public let name = "merge-qkv"
    public let summary = "merge the q, k, v projections of one input into one linear read by disentangled_attention_qkv"

    public init() {}

    public func run(on graph: inout Graph, context: PassContext) throws -> PassStatistics {
        var statistics = PassStatistics()
        let weightsOnly = graph.weightsOnlyValues()
        for id in graph.ops where graph.contains(op: id) && graph[op: id].kind == .disentangledAttention {
            let attention = graph[op: id]
            let content = Array(attention.operands[0..<3])
            let uses = graph.useCounts()
            guard Set(content).count == 3, content.allSatisfy({ uses[$0] == 1 }) else { continue }
            let projections = content.compactMap { graph.definingOp(of: $0) }
            guard projections.count == 3, projections.allSatisfy({ graph[op: $0].kind == .linear }) else { continue }
            let operands = projections.map { graph[op: $0].operands }
            let input = operands[0][0]
            guard operands.allSatisfy({ $0[0] == input && $0.count == operands[0].count }),
                  operands.allSatisfy({ $0.dropFirst().allSatisfy { weightsOnly.contains($0) } }),
                  operands.allSatisfy({ graph.type(of: $0[1]) == graph.type(of: operands[0][1]) }) else { continue }

            let base = Self.baseName(graph.name(of: content[0]))
            var position = projections.map { graph.position(of: $0)! }.max()! + 1
            var merged = [input]
            for (index, suffix) in [(1, ".weight"), (2, ".bias")] where index < operands[0].count {
                merged.append(try graph.insert(.concatRows, operands.map { $0[index] }, name: base + ".qkv" + suffix,
                                               at: position, pass: name))
                position += 1
            }
            let qkv = try graph.insert(.linear, merged, name: base + ".qkv", at: position, pass: name)
            graph.setKind(id, .disentangledAttentionQKV)
            graph.setOperands(id, [qkv] + attention.operands.dropFirst(3))
            for projection in projections.reversed() { graph.removeOp(projection) }
            statistics.add(1, "q/k/v projections merged")
            statistics.add(2, "matmuls removed")
        }
        return statistics
    }

    /// `layer3.q` → `layer3`; any other name is kept whole.
    static func baseName(_ query: String) -> String {
        query.hasSuffix(".q") ? String(query.dropLast(2)) : query
    }
}
