import DebertacIR

/// The one place that maps each scheduled op to its kernel.
extension ModuleEmitter {
    /// Every op the backend compiles: those with a kernel below, plus those placed without
    /// one (constants, row views; `rel_bucket_table` and `concat_rows` of weights are folded
    /// to constants first). A test checks that this covers `OpKind.allCases`, so that an op
    /// added to the op table fails a test rather than everyone's build.
    static let supportedOps: Set<OpKind> = [
        .constant, .gather, .prefixRows, .add, .mul, .scale, .gelu, .geluTanh, .relu, .tanh, .sigmoid, .silu,
        .quickGelu, .linear, .layerNorm, .maskRows, .conv1d, .sliceRows, .relPosIndex, .attentionScores,
        .c2pScores, .p2cScores, .maskedSoftmax, .attentionContext, .firstToken, .relBucketTable, .concatRows,
        .addPrefixRows, .linearAct, .addLayerNorm, .maskedLayerNorm, .disentangledAttention, .disentangledAttentionQKV,
    ]

    /// Emits the kernel of `op` and its launch in the entry function.
    func lower(_ op: Op) throws(BackendError) {
        switch op.kind {
        case .scale:
            let factor = Float(op.attributes["factor"]?.floatValue ?? 1)
            try lowerMap(op, key: "scale \(factor.bitPattern)") { code.fmul($0, code.f32(factor)) }
        case .gelu, .geluTanh, .relu, .tanh, .sigmoid, .silu, .quickGelu:
            try lowerMap(op, key: op.kind.rawValue) { code.activation(op.kind, $0)! }
        case .add, .mul:
            try lowerBinary(op)
        case .addPrefixRows:
            try lowerAddPrefixRows(op)
        case .maskRows:
            try lowerMaskRows(op)
        case .layerNorm, .maskedLayerNorm, .addLayerNorm:
            try lowerLayerNorm(op)
        case .linear, .linearAct:
            try lowerLinear(op)
        case .conv1d:
            try lowerConv1d(op)
        case .gather:
            try lowerGather(op)
        case .firstToken:
            try lowerFirstToken(op)
        case .concatRows:
            try lowerConcatRows(op)
        case .relPosIndex:
            try lowerRelPosIndex(op)
        case .attentionScores:
            try lowerAttentionScores(op)
        case .attentionContext:
            try lowerAttentionContext(op)
        case .c2pScores, .p2cScores:
            try lowerRelativeScores(op)
        case .maskedSoftmax:
            try lowerMaskedSoftmax(op)
        case .disentangledAttention, .disentangledAttentionQKV:
            try lowerDisentangledAttention(op)
        case .constant, .prefixRows, .sliceRows, .relBucketTable:
            throw unsupported(op, "placed without a kernel; it should not be scheduled")
        default:
            throw unsupported(op, "the backend has no kernel for this op")
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
