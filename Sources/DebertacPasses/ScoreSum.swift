import DebertacIR

/// The attention-score expression the DeBERTa builder emits, as a sum of up to three
/// terms (`attention_scores`, `c2p_scores`, `p2c_scores`) joined by `add`s:
/// the pattern that `fold-attention-scale` and `fuse-attention` both start from.
struct ScoreSum {
    /// The value of the whole sum.
    let root: ValueID
    /// The `add` ops of the sum (none when the scores are c2c alone).
    let adds: [OpID]
    /// `attention_scores(q, k)`.
    let c2c: OpID
    /// `c2p_scores(q, pos_key, idx)`, if present.
    let c2p: OpID?
    /// `p2c_scores(k, pos_query, idx)`, if present.
    let p2c: OpID?
    /// The query and key operands shared by all terms.
    let q: ValueID, k: ValueID
    /// `heads` of every term.
    let heads: Int
    /// Position tables and the index, when the relative terms are present.
    let posKey: ValueID?, posQuery: ValueID?, index: ValueID?

    /// The ops of the terms.
    var terms: [OpID] { [c2c] + [c2p, p2c].compactMap { $0 } }

    /// Matches `root` when it is such a sum whose every value (root included) is used
    /// exactly once, with one c2c term, at most one c2p and one p2c term, c2p reading c2c's q,
    /// p2c reading c2c's k, one shared idx and one head count.
    static func match(_ root: ValueID, in graph: Graph, uses: [ValueID: Int]) -> ScoreSum? {
        var adds: [OpID] = [], leaves: [OpID] = []
        let rootType = graph.type(of: root)
        func collect(_ value: ValueID) -> Bool {
            guard uses[value] == 1, graph.type(of: value) == rootType, let id = graph.definingOp(of: value) else { return false }
            let op = graph[op: id]
            switch op.kind {
            case .add:
                adds.append(id)
                return collect(op.operands[0]) && collect(op.operands[1])
            case .attentionScores, .c2pScores, .p2cScores:
                leaves.append(id)
                return true
            default:
                return false
            }
        }
        guard collect(root) else { return nil }
        let byKind = Dictionary(grouping: leaves) { graph[op: $0].kind }
        guard byKind[.attentionScores]?.count == 1, (byKind[.c2pScores]?.count ?? 0) <= 1,
              (byKind[.p2cScores]?.count ?? 0) <= 1, let c2c = byKind[.attentionScores]?.first else { return nil }
        let c2p = byKind[.c2pScores]?.first, p2c = byKind[.p2cScores]?.first
        let content = graph[op: c2c]
        let (q, k) = (content.operands[0], content.operands[1])
        let heads = content.attributes["heads"]?.intValue
        var index: ValueID?
        for term in [c2p, p2c].compactMap({ $0 }) {
            let op = graph[op: term]
            guard op.attributes["heads"]?.intValue == heads else { return nil }
            guard index == nil || index == op.operands[2] else { return nil }
            index = op.operands[2]
        }
        if let c2p, graph[op: c2p].operands[0] != q { return nil }
        if let p2c, graph[op: p2c].operands[0] != k { return nil }
        guard let heads else { return nil }
        return ScoreSum(root: root, adds: adds, c2c: c2c, c2p: c2p, p2c: p2c, q: q, k: k, heads: heads,
                        posKey: c2p.map { graph[op: $0].operands[1] }, posQuery: p2c.map { graph[op: $0].operands[1] },
                        index: index)
    }
}
