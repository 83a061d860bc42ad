import DebertacIR

/// The one place that maps each `OpKind` to its kernel. The switch is exhaustive, so a
/// new op does not compile until the interpreter gives it semantics.
extension Interpreter {
    /// Computes the result of `op` from its operand values.
    func evaluate(_ op: Op, _ x: [HostTensor], _ bindings: SymbolBindings) throws(InterpreterError) -> HostTensor {
        let name = graph.name(of: op.result)
        do {
            switch op.kind {
            case .constant:
                return try constant(op, name)
            case .gather:
                return try Kernels.gather(table: x[0], ids: x[1])
            case .prefixRows:
                let length = try bindings.size(of: .seq, value: name)
                guard length <= x[0].shape[0] else {
                    throw InterpreterError.tableTooShort(value: name, length: length, rows: x[0].shape[0])
                }
                return Kernels.rows(x[0], start: 0, count: length)
            case .add:
                return Kernels.add(x[0], x[1])
            case .mul:
                return Kernels.mul(x[0], x[1])
            case .scale:
                return Kernels.scale(x[0], factor: try float("factor", op))
            case .gelu:
                return Kernels.map(x[0], Kernels.gelu)
            case .geluTanh:
                return Kernels.map(x[0], Kernels.geluTanh)
            case .relu:
                return Kernels.map(x[0], Kernels.relu)
            case .tanh:
                return Kernels.map(x[0], Kernels.tanh)
            case .sigmoid:
                return Kernels.map(x[0], Kernels.sigmoid)
            case .silu:
                return Kernels.map(x[0], Kernels.silu)
            case .quickGelu:
                return Kernels.map(x[0], Kernels.quickGelu)
            case .linear:
                return Kernels.linear(x[0], weight: x[1], bias: x.count > 2 ? x[2] : nil)
            case .layerNorm:
                return Kernels.layerNorm(x[0], gamma: x[1], beta: x[2], eps: try float("eps", op))
            case .maskRows:
                return Kernels.maskRows(x[0], mask: x[1])
            case .conv1d:
                return Kernels.conv1d(x[0], weight: x[1], bias: x[2],
                                      groups: try int("groups", op), padding: try int("padding", op))
            case .sliceRows:
                return Kernels.rows(x[0], start: try int("start", op), count: try int("count", op))
            case .headRows:
                return Kernels.headRows(x[0], heads: try int("heads", op), part: try int("part", op), parts: try int("parts", op))
            case .relPosIndex:
                return RelativePosition.indexTable(
                    length: try bindings.size(of: .seq, value: name), buckets: try int("buckets", op),
                    maxPosition: try int("max_position", op), span: try int("span", op))
            case .attentionScores:
                return Kernels.attentionScores(q: x[0], k: x[1], heads: try int("heads", op))
            case .c2pScores:
                return try Kernels.c2pScores(q: x[0], posKey: x[1], idx: x[2], heads: try int("heads", op))
            case .p2cScores:
                return try Kernels.p2cScores(k: x[0], posQuery: x[1], idx: x[2], heads: try int("heads", op))
            case .maskedSoftmax:
                return Kernels.maskedSoftmax(x[0], mask: x[1])
            case .mixHeads:
                return Kernels.mixHeads(x[0], weight: x[1])
            case .attentionContext:
                return Kernels.attentionContext(p: x[0], v: x[1], heads: try int("heads", op))
            case .firstToken:
                guard x[0].shape[1] >= 1 else {
                    throw InterpreterError.indexOutOfRange(value: name, operand: "x", index: 0, limit: 0)
                }
                return Kernels.firstToken(x[0])
            case .relBucketTable, .concatRows, .addPrefixRows, .linearAct, .addLayerNorm, .maskedLayerNorm,
                 .disentangledAttention, .disentangledAttentionQKV:
                return try evaluateFused(op, x)  // Interpreter+Fused.swift
            }
        } catch let error as IndexOutOfRange {
            throw .indexOutOfRange(value: name, operand: error.operand, index: error.index, limit: error.limit)
        } catch let error as InterpreterError {
            throw error
        } catch {
            throw .internalError("computing '\(name)': \(error)")
        }
    }

    /// The data of a `constant` op, checked against its declared type.
    private func constant(_ op: Op, _ name: String) throws(InterpreterError) -> HostTensor {
        guard let tensorName = op.constantName else {
            throw .internalError("constant '\(name)' has no 'name' attribute")
        }
        let tensor: HostTensor
        do {
            tensor = try constants.constant(named: tensorName)
        } catch let error as InterpreterError {
            throw error
        } catch {
            throw .constantUnavailable(name: tensorName, message: "\(error)")
        }
        let type = graph.type(of: op.result)
        guard tensor.element == type.element, let shape = type.staticShape, tensor.shape == shape else {
            throw .constantMismatch(name: tensorName, given: tensor.description, expected: type)
        }
        return tensor
    }

    /// The integer attribute `key` (present: the verifier checked the attribute set).
    private func int(_ key: String, _ op: Op) throws(InterpreterError) -> Int {
        guard let value = op.attributes[key]?.intValue else {
            throw .internalError("'\(op.kind)' lacks integer attribute '\(key)'")
        }
        return value
    }

    /// The float attribute `key` (present: the verifier checked the attribute set).
    private func float(_ key: String, _ op: Op) throws(InterpreterError) -> Double {
        guard let value = op.attributes[key]?.floatValue else {
            throw .internalError("'\(op.kind)' lacks float attribute '\(key)'")
        }
        return value
    }
}
