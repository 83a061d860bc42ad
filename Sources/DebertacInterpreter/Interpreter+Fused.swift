import DebertacIR

/// Evaluation of the ops that optimisation passes create (`OpKind.fusedEntries`), called
/// from `evaluate` so that its switch stays the one place that maps every op to a kernel.
extension Interpreter {
    /// Computes the result of the fused or pass-created `op` from its operand values.
    func evaluateFused(_ op: Op, _ x: [HostTensor]) throws -> HostTensor {
        let attributes = op.attributes
        func int(_ key: String) throws(InterpreterError) -> Int {
            guard let value = attributes[key]?.intValue else { throw .internalError("'\(op.kind)' lacks integer attribute '\(key)'") }
            return value
        }
        func float(_ key: String) throws(InterpreterError) -> Double {
            guard let value = attributes[key]?.floatValue else { throw .internalError("'\(op.kind)' lacks float attribute '\(key)'") }
            return value
        }
        switch op.kind {
        case .relBucketTable:
            return Kernels.relBucketTable(buckets: try int("buckets"), maxPosition: try int("max_position"),
                                          radius: try int("radius"), span: try int("span"))
        case .concatRows:
            return Kernels.concatRows(x)
        case .addPrefixRows:
            let length = x[0].shape[1]
            guard length <= x[1].shape[0] else {
                throw InterpreterError.tableTooShort(value: graph.name(of: op.result), length: length, rows: x[1].shape[0])
            }
            return Kernels.add(x[0], Kernels.rows(x[1], start: 0, count: length))
        case .linearAct:
            let name = attributes["activation"]?.stringValue ?? ""
            guard let kind = OpKind(rawValue: name), let f = Kernels.activation(kind) else {
                throw InterpreterError.internalError("'linear_act' has unknown activation '\(name)'")
            }
            return Kernels.map(Kernels.linear(x[0], weight: x[1], bias: x.count > 2 ? x[2] : nil), f)
        case .addLayerNorm:
            return Kernels.addLayerNorm(x[0], x[1], gamma: x[2], beta: x[3], mask: x.count > 4 ? x[4] : nil, eps: try float("eps"))
        case .maskedLayerNorm:
            return Kernels.maskRows(Kernels.layerNorm(x[0], gamma: x[1], beta: x[2], eps: try float("eps")), mask: x[3])
        case .disentangledAttention, .disentangledAttentionQKV:
            let contentCount = op.kind == .disentangledAttentionQKV ? 1 : 3
            let c2p = try int("c2p") == 1, p2c = try int("p2c") == 1
            var next = contentCount + 1
            let posKey = c2p ? x[next] : nil
            if c2p { next += 1 }
            let posQuery = p2c ? x[next] : nil
            if p2c { next += 1 }
            let table = c2p || p2c ? x[next] : nil
            return try Kernels.disentangledAttention(
                content: Array(x[0..<contentCount]), mask: x[contentCount], posKey: posKey, posQuery: posQuery,
                table: table, heads: try int("heads"), scale: try float("scale"))
        default:
            throw InterpreterError.internalError("'\(op.kind)' is not a fused op")
        }
    }
}
