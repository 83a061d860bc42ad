import DebertacIR

/// Contractions on OpenBLAS: `linear` / `linear_act`, `conv1d`, and the per-head products
/// `attention_scores` and `attention_context`.
///
/// Matrix products are cut into tiles of fixed size, one single-threaded `cblas_sgemm` per
/// task, so the session's pool runs them in parallel. Tile sizes do not depend on the number
/// of threads, so results are bit-identical whatever DEBERTAC_NUM_THREADS says. A tile's
/// epilogue (bias, activation) runs right after its product, while the tile is in cache.
extension ModuleEmitter {
    /// Rows and columns of one `linear` tile.
    static let tileRows = 256
    static let tileColumns = 256

    /// `activation(x · weightᵀ + bias)`, x `[..., K]`, weight `[N, K]` (torch layout, used
    /// as is: sgemm reads it transposed).
    func lowerLinear(_ op: Op) throws(BackendError) {
        let x = graph.type(of: op.operands[0])
        let w = graph.type(of: op.operands[1])
        guard let n = w.shape[0].staticSize, let k = w.shape[1].staticSize, k > 0, n > 0 else {
            throw unsupported(op, "the weight needs static, non-empty dimensions")
        }
        var activation: OpKind?
        if op.kind == .linearAct {
            guard let name = op.attributes["activation"]?.stringValue, let kind = OpKind(rawValue: name),
                  OpKind.activations.contains(kind) else {
                throw unsupported(op, "unknown activation")
            }
            activation = kind
        }
        if case let .weights(source)? = plan.storage[op.operands[1]], source.isPackable {
            switch try reducedPrecision(of: op) {
            case nil:
                return try lowerPackedLinear(op, weight: source, n: n, k: k, activation: activation)
            case .bf16? where !reducedKernels.contains(.bf16):
                // No vdpbf16ps on this target: the same bf16 weights through the fp32 kernel
                // (fp32 activations), as docs/precision.md says.
                return try lowerPackedLinear(op, weight: .roundedToBF16(source), n: n, k: k, activation: activation)
            case let format?:
                return try lowerReducedLinear(op, weight: source, n: n, k: k, activation: activation, format: format)
            }
        }
        let hasBias = op.operands.count > 2
        let out = op.operands.count
        let leading = Array(x.shape.dropLast())
        let columnTiles = (n + Self.tileColumns - 1) / Self.tileColumns
        let rows = code.product(leading.map(size))
        let count = code.mul(code.ceilDiv(rows, Self.tileRows), columnTiles)
        try launch(key(op), sources(op), count: count) { a in
            let m = code.product(leading.map { a.size($0, code) })
            forEachTask(a) { task in
                let m0 = code.mul(code.div(task, code.i64(columnTiles)), Self.tileRows)
                let n0 = code.mul(code.rem(task, code.i64(columnTiles)), Self.tileColumns)
                let rowCount = code.smin(code.i64(Self.tileRows), code.sub(m, m0))
                let columnCount = code.smin(code.i64(Self.tileColumns), code.sub(code.i64(n), n0))
                let y = code.gep(code.f32, a[out], code.add(code.mul(m0, n), n0))
                sgemm(transB: true, m: rowCount, n: columnCount, k: code.i64(k),
                      a: code.gep(code.f32, a[0], code.mul(m0, k)), lda: code.i64(k),
                      b: code.gep(code.f32, a[1], code.mul(n0, k)), ldb: code.i64(k),
                      beta: 0, c: y, ldc: code.i64(n))
                linearEpilogue(tile: y, rows: rowCount, columns: columnCount, stride: n,
                               bias: hasBias ? code.gep(code.f32, a[2], n0) : nil, activation: activation)
            }
        }
    }

    /// The reduced precision `op`'s `precision` attribute asks for (nil: fp32). int8 needs the
    /// target's VNNI instructions: without them the compile fails, naming the feature.
    private func reducedPrecision(of op: Op) throws(BackendError) -> ReducedPrecision? {
        guard let name = op.attributes["precision"]?.stringValue else { return nil }
        guard let format = ReducedPrecision(rawValue: name) else { throw unsupported(op, "unknown precision '\(name)'") }
        if format == .int8 && !reducedKernels.contains(.int8) {
            throw .target("--precision int8 needs AVX-512 with VNNI (LLVM feature '\(format.requiredFeature)'), which the target lacks; "
                          + "compile with --precision bf16 or fp32, or for a CPU that has it (--target-cpu)")
        }
        return format
    }

    /// A `linear` tile's epilogue, while the tile is in cache: `y = activation(y + bias)` over
    /// `rows × columns` floats with rows `stride` apart (`bias` points at the tile's first column).
    func linearEpilogue(tile y: IRValue, rows: IRValue, columns: IRValue, stride: Int, bias: IRValue?, activation: OpKind?) {
        guard bias != nil || activation != nil else { return }
        code.loop(code.i64(0), rows) { r in
            let row = code.gep(code.f32, y, code.mul(r, stride))
            code.loop(code.i64(0), columns) { c in
                var v = code.load(code.f32, row, c)
                if let bias { v = code.fadd(v, code.load(code.f32, bias, c)) }
                if let activation { v = code.activation(activation, v)! }
                code.store(v, code.f32, row, c)
            }
        }
    }

    /// Length-preserving grouped conv1d on channels-last `x [B, T, C]`: per batch row, group
    /// and column tile, the bias, then one sgemm per tap (`y += x_shifted · W_tapᵀ`) with the
    /// tap-major weights (`WeightsLayout.Source.convTaps`). Taps accumulate in a fixed order.
    func lowerConv1d(_ op: Op) throws(BackendError) {
        let w = graph.type(of: op.operands[1])
        let x = graph.type(of: op.operands[0])
        guard let channels = x.shape[2].staticSize, let outChannels = w.shape[0].staticSize,
              let perGroup = w.shape[1].staticSize, let kernel = w.shape[2].staticSize,
              case let .weights(.tensor(weightName))? = plan.storage[op.operands[1]] else {
            throw unsupported(op, "needs static channels and a constant weight")
        }
        let groups = op.attributes["groups"]?.intValue ?? 1
        let padding = op.attributes["padding"]?.intValue ?? 0
        let outPerGroup = outChannels / groups
        let columnTiles = (outPerGroup + Self.tileColumns - 1) / Self.tileColumns
        let taps = WeightsLayout.Source.convTaps(weightName, outChannels: outChannels, perGroup: perGroup, kernel: kernel)
        let sources: [PointerSource] = [.value(op.operands[0]), .weights(taps, elements: outChannels * perGroup * kernel),
                                        .value(op.operands[2]), .value(op.result)]
        let count = code.mul(batch, groups * columnTiles)
        try launch(key(op), sources, count: count) { a in
            let t = a.length
            forEachTask(a) { task in
                let b = code.div(task, code.i64(groups * columnTiles))
                let g = code.rem(code.div(task, code.i64(columnTiles)), code.i64(groups))
                let n0 = code.mul(code.rem(task, code.i64(columnTiles)), Self.tileColumns)
                let columns = code.smin(code.i64(Self.tileColumns), code.sub(code.i64(outPerGroup), n0))
                let column = code.add(code.mul(g, outPerGroup), n0)
                let rowBase = code.mul(b, t)
                let y = code.gep(code.f32, a[3], code.add(code.mul(rowBase, outChannels), column))
                code.loop(code.i64(0), t) { r in
                    let row = code.gep(code.f32, y, code.mul(r, outChannels))
                    code.loop(code.i64(0), columns) { c in
                        code.store(code.load(code.f32, a[2], code.add(column, c)), code.f32, row, c)
                    }
                }
                for tap in 0..<kernel {
                    // Output rows whose input row s = t + tap − padding lies inside [0, T).
                    let first = code.i64(max(0, padding - tap))
                    let end = code.smin(t, code.add(t, padding - tap))
                    let rows = code.sub(end, first)
                    code.when(code.lt(code.i64(0), rows)) {
                        let inputRow = code.add(rowBase, code.add(first, code.i64(tap - padding)))
                        sgemm(transB: true, m: rows, n: columns, k: code.i64(perGroup),
                              a: code.gep(code.f32, a[0], code.add(code.mul(inputRow, channels), code.mul(g, perGroup))),
                              lda: code.i64(channels),
                              b: code.gep(code.f32, a[1], code.mul(code.add(code.i64(tap * outChannels), column), perGroup)),
                              ldb: code.i64(perGroup), beta: 1,
                              c: code.gep(code.f32, y, code.mul(first, outChannels)), ldc: code.i64(outChannels))
                    }
                }
            }
        }
    }

    /// Heads and head size of a `[B, T, H·d]` operand.
    func heads(_ op: Op, width: Int) throws(BackendError) -> (heads: Int, size: Int) {
        guard let heads = op.attributes["heads"]?.intValue, heads > 0, width % heads == 0 else {
            throw unsupported(op, "heads must divide the width")
        }
        return (heads, width / heads)
    }

    /// `s[b, h] = q[b, :, h] · k[b, :, h]ᵀ`, one sgemm per (b, h).
    func lowerAttentionScores(_ op: Op) throws(BackendError) {
        guard let width = graph.type(of: op.operands[0]).shape[2].staticSize else { throw unsupported(op, "dynamic width") }
        let (heads, d) = try heads(op, width: width)
        try launch(key(op), sources(op), count: code.mul(batch, heads)) { a in
            let t = a.length
            forEachTask(a) { task in
                let b = code.div(task, code.i64(heads)), h = code.rem(task, code.i64(heads))
                let block = code.add(code.mul(code.mul(b, t), width), code.mul(h, d))
                sgemm(transB: true, m: t, n: t, k: code.i64(d),
                      a: code.gep(code.f32, a[0], block), lda: code.i64(width),
                      b: code.gep(code.f32, a[1], block), ldb: code.i64(width),
                      beta: 0, c: code.gep(code.f32, a[2], code.mul(task, code.mul(t, t))), ldc: t)
            }
        }
    }

    /// `c[b, :, h] = p[b, h] · v[b, :, h]`, one sgemm per (b, h), written into head h's columns.
    func lowerAttentionContext(_ op: Op) throws(BackendError) {
        guard let width = graph.type(of: op.operands[1]).shape[2].staticSize else { throw unsupported(op, "dynamic width") }
        let (heads, d) = try heads(op, width: width)
        try launch(key(op), sources(op), count: code.mul(batch, heads)) { a in
            let t = a.length
            forEachTask(a) { task in
                let b = code.div(task, code.i64(heads)), h = code.rem(task, code.i64(heads))
                let block = code.add(code.mul(code.mul(b, t), width), code.mul(h, d))
                sgemm(transB: false, m: t, n: code.i64(d), k: t,
                      a: code.gep(code.f32, a[0], code.mul(task, code.mul(t, t))), lda: t,
                      b: code.gep(code.f32, a[1], block), ldb: code.i64(width),
                      beta: 0, c: code.gep(code.f32, a[2], block), ldc: code.i64(width))
            }
        }
    }
}
