import DebertacIR

/// `layer_norm`, `masked_layer_norm` and `add_layer_norm`: one row of the last axis at a time,
/// in three passes over the row (sum, squared deviations, output), so that in-place use
/// (the result overwriting `x`, `a` or `b`) is safe: every element is read before it is written.
extension ModuleEmitter {
    func lowerLayerNorm(_ op: Op) throws(BackendError) {
        let type = graph.type(of: op.result)
        guard let width = type.shape.last?.staticSize, width > 0 else {
            throw unsupported(op, "layer normalisation needs a static, non-empty last dimension")
        }
        let eps = Float(op.attributes["eps"]?.floatValue ?? 1e-7)
        // Operand positions: (first summand, second summand?, gamma, beta, mask?).
        let isSum = op.kind == .addLayerNorm
        let gammaIndex = isSum ? 2 : 1
        let maskIndex: Int? = switch op.kind {
        case .maskedLayerNorm: 3
        case .addLayerNorm: op.operands.count > 4 ? 4 : nil
        default: nil
        }
        let outIndex = op.operands.count
        let rowsPerTask = max(1, 1024 / width)
        let leading = Array(type.shape.dropLast())
        let rows = code.product(leading.map(size))
        try launch(key(op, "rows \(rowsPerTask)"), sources(op), count: code.ceilDiv(rows, rowsPerTask)) { a in
            let totalRows = code.product(leading.map { a.size($0, code) })
            let hi = code.smin(code.mul(a.end, rowsPerTask), totalRows)
            let gamma = a[gammaIndex], beta = a[gammaIndex + 1]
            code.loop(code.mul(a.begin, rowsPerTask), hi) { row in
                let base = code.mul(row, width)
                func value(_ c: IRValue) -> IRValue {
                    let i = code.add(base, c)
                    let x = code.load(code.f32, a[0], i)
                    return isSum ? code.fadd(x, code.load(code.f32, a[1], i)) : x
                }
                let sum = code.reassociating {
                    code.loop(code.i64(0), code.i64(width), carrying: [code.f32(0)]) { c, acc in
                        [code.fadd(acc[0], value(c))]
                    }[0]
                }
                let mean = code.fdiv(sum, code.f32(Float(width)))
                let squares = code.reassociating {
                    code.loop(code.i64(0), code.i64(width), carrying: [code.f32(0)]) { c, acc in
                        let d = code.fsub(value(c), mean)
                        return [code.fadd(acc[0], code.fmul(d, d))]
                    }[0]
                }
                let variance = code.fdiv(squares, code.f32(Float(width)))
                let inverse = code.fdiv(code.f32(1), code.sqrt(code.fadd(variance, code.f32(eps))))
                let factor = maskIndex.map { code.sitofp(code.load(code.i32, a[$0], row)) }
                code.loop(code.i64(0), code.i64(width)) { c in
                    let normalized = code.fmul(code.fsub(value(c), mean), inverse)
                    var y = code.fadd(code.fmul(normalized, code.load(code.f32, gamma, c)), code.load(code.f32, beta, c))
                    if let factor { y = code.fmul(y, factor) }
                    code.store(y, code.f32, a[outIndex], code.add(base, c))
                }
            }
        }
    }
}
