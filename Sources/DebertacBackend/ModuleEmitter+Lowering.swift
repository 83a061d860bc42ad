import DebertacIR

/// The one place that maps each scheduled op to its kernel.
extension ModuleEmitter {
    /// The kernel families of the backend.
    enum Kernel: Sendable {
        case activation, scale, binary, addPrefixRows, maskRows, layerNorm, linear, conv1d, gather, firstToken
        case concatRows, relPosIndex, attentionScores, attentionContext, relativeScores, maskedSoftmax
        case disentangledAttention, mixHeads
    }

    /// The kernel of each op kind: the one table that maps ops to code generation. Ops that
    /// need no kernel are placed by `ExecutionPlan` instead (`placedOps`). A test checks that
    /// the two cover `OpKind.allCases`, so an op added to the op table fails a test rather than
    /// everyone's build.
    static let kernels: [OpKind: Kernel] = {
        var table: [OpKind: Kernel] = [
            .scale: .scale, .add: .binary, .mul: .binary, .addPrefixRows: .addPrefixRows, .maskRows: .maskRows,
            .layerNorm: .layerNorm, .maskedLayerNorm: .layerNorm, .addLayerNorm: .layerNorm,
            .linear: .linear, .linearAct: .linear, .conv1d: .conv1d, .gather: .gather, .firstToken: .firstToken,
            .concatRows: .concatRows, .relPosIndex: .relPosIndex, .attentionScores: .attentionScores,
            .attentionContext: .attentionContext, .c2pScores: .relativeScores, .p2cScores: .relativeScores,
            .maskedSoftmax: .maskedSoftmax, .disentangledAttention: .disentangledAttention,
            .disentangledAttentionQKV: .disentangledAttention, .mixHeads: .mixHeads,
        ]
        for kind in OpKind.activations { table[kind] = .activation }
        return table
    }()

    /// Ops placed without a kernel: constants and row views (and `rel_bucket_table` and
    /// `head_rows`, weights-only, folded to constants before planning).
    static let placedOps: Set<OpKind> = [.constant, .prefixRows, .sliceRows, .relBucketTable, .headRows]

    /// Every op the backend compiles.
    static var supportedOps: Set<OpKind> { placedOps.union(kernels.keys) }

    /// Emits the kernel of `op` and its launch in the entry function.
    func lower(_ op: Op) throws(BackendError) {
        guard let kernel = Self.kernels[op.kind] else {
            throw unsupported(op, Self.placedOps.contains(op.kind) ? "placed without a kernel; it should not be scheduled"
                                                                   : "the backend has no kernel for this op")
        }
        switch kernel {
        case .activation: try lowerMap(op, key: op.kind.rawValue) { code.activation(op.kind, $0)! }
        case .scale:
            let factor = Float(op.attributes["factor"]?.floatValue ?? 1)
            try lowerMap(op, key: "scale \(factor.bitPattern)") { code.fmul($0, code.f32(factor)) }
        case .binary: try lowerBinary(op)
        case .addPrefixRows: try lowerAddPrefixRows(op)
        case .maskRows: try lowerMaskRows(op)
        case .layerNorm: try lowerLayerNorm(op)
        case .linear: try lowerLinear(op)
        case .conv1d: try lowerConv1d(op)
        case .gather: try lowerGather(op)
        case .firstToken: try lowerFirstToken(op)
        case .concatRows: try lowerConcatRows(op)
        case .relPosIndex: try lowerRelPosIndex(op)
        case .attentionScores: try lowerAttentionScores(op)
        case .attentionContext: try lowerAttentionContext(op)
        case .relativeScores: try lowerRelativeScores(op)
        case .maskedSoftmax: try lowerMaskedSoftmax(op)
        case .disentangledAttention: try lowerDisentangledAttention(op)
        case .mixHeads: try lowerMixHeads(op)
        }
    }

    func unsupported(_ op: Op, _ reason: String) -> BackendError {
        .unsupportedOp(value: graph.name(of: op.result), op: op.kind.rawValue, reason: reason)
    }

    /// `kind|attributes|operand types -> result type`: everything a kernel body depends on.
    func key(_ op: Op, _ extra: String = "") -> String {
        let types = op.operands.map { typeKey($0) }.joined(separator: ",")
        return "\(op.kind.rawValue)|\(op.attributes.textualForm)|\(types)->\(typeKey(op.result))|\(extra)"
    }

    /// Operand pointers then the result's.
    func sources(_ op: Op) -> [PointerSource] {
        op.operands.map { PointerSource.value($0) } + [.value(op.result)]
    }
}
