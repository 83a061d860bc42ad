internal import CLLVM
import DebertacIR

/// `linear` below fp32 (`--precision bf16|int8`, docs/precision.md): the weight packed at
/// compile time (`WeightsLayout.Source.reducedPanels`), the activations converted per task into
/// the running thread's workspace, the products summed by AVX-512 dot-product instructions
/// (`vdpbf16ps`, `vpdpbusd`) in a register block of `reducedLinearShape` (8 rows × 3 vectors of 16
/// output channels), and the fp32 epilogue (int8: dequantization first).
///
/// A task is `reducedTileRows` rows × `reducedTileColumns` output channels (half as many for
/// products of at most that many channels); tasks run column
/// group by column group (consecutive tasks share a group's weights, which the cores read from
/// the shared cache). Each row is converted once per column group, so conversion costs about
/// 1/768 of the products. Every output is one fixed sequence of operations whatever the thread
/// count: results are bit-identical across thread counts.
extension ModuleEmitter {
    static let reducedTileRows = 24
    static let reducedTileColumns = 768
    /// How far ahead of the step being multiplied the block kernel asks for the weight stream
    /// (into L2): 64 steps, i.e. through the end of the panel into the next one, which is stored
    /// right after it. A tile's first row block reads each panel from L3 or memory; without the
    /// hint that stream stalls the dot products (measured on 1 × 128: bf16 −12 % on a 4-layer
    /// xxlarge-shaped model, −4 % on base; int8 −6 % on base; docs/precision.md).
    static let reducedPrefetchBytes = 8192
    /// The linear's register block: 8 rows × 48 channels (24 accumulators, 3 panel vectors and a
    /// broadcast in the 32 zmm registers). Against the fp32 kernel's 12 × 32 it loads 11 operands
    /// per 24 dot products instead of 14, and 8 divides the row counts that matter (128, 512), so
    /// no block is partial. Measured at 1 × 128 (bench/ab.c, docs/precision.md).
    static let reducedLinearShape = PackedGemm(lanes: 16, vectors: 3, rows: 8)

    /// `activation(x · weightᵀ + bias)` in `format`, for a constant packable weight `[n, k]`.
    func lowerReducedLinear(_ op: Op, weight: WeightsLayout.Source, n: Int, k: Int, activation: OpKind?,
                            format: ReducedPrecision) throws(BackendError) {
        precondition(gemm.lanes == 16, "reduced-precision kernels need 512-bit vectors")
        let x = graph.type(of: op.operands[0])
        let hasBias = op.operands.count > 2
        let shape = Self.reducedLinearShape
        let width = shape.columns
        let steps = format.steps(k)
        let panelBytes = steps * width * 4
        let panels = (n + width - 1) / width
        let packed = WeightsLayout.Source.reducedPanels(weight, rows: n, columns: k, width: width, format: format)
        var sources: [PointerSource] = [.value(op.operands[0]),
                                        .weights(packed, elements: format.weightBytes(rows: n, columns: k, width: width))]
        if hasBias { sources.append(.value(op.operands[2])) }
        sources.append(.value(op.result))
        let out = sources.count - 1
        // One channel group is split in two, so that a 768-wide product at 1 × 128 makes 12 tasks
        // rather than 6 uneven ones (5 of 24 rows, 1 of 8).
        let tileRows = Self.reducedTileRows, tileColumns = n > Self.reducedTileColumns ? Self.reducedTileColumns : Self.reducedTileColumns / 2
        // Workspace: the tile's converted rows, then (int8) each row's scale and zero point.
        let rowBytes = Self.reducedRowBytes(steps: steps)
        requireWorkspace(perSquaredLength: 0, perLength: 0, constant: tileRows * rowBytes + tileRows * 8)
        let columnTiles = (n + tileColumns - 1) / tileColumns
        let leading = Array(x.shape.dropLast())
        let count = code.mul(code.ceilDiv(code.product(leading.map(size)), tileRows), columnTiles)
        try launch(key(op, "reduced.\(format)"), sources, count: count) { a in
            let m = code.product(leading.map { a.size($0, code) })
            let rowTiles = code.ceilDiv(m, tileRows)
            forEachTask(a) { task in
                let m0 = code.mul(code.rem(task, rowTiles), tileRows)
                let n0 = code.mul(code.div(task, rowTiles), tileColumns)
                let rowCount = code.smin(code.i64(tileRows), code.sub(m, m0))
                let columnCount = code.smin(code.i64(tileColumns), code.sub(code.i64(n), n0))
                let converted = a.workspace
                let rowParameters = code.gep(code.i8, a.workspace, code.i64(tileRows * rowBytes))
                convertRows(code.gep(code.f32, a[0], code.mul(m0, k)), rows: rowCount, k: k, into: converted,
                            rowBytes: rowBytes, parameters: rowParameters, format: format)
                let y0 = code.gep(code.f32, a[out], code.add(code.mul(m0, n), n0))
                let firstPanel = code.gep(code.i8, a[1], code.mul(code.div(n0, code.i64(width)), panelBytes))
                multiplyReduced(a: converted, lda: code.i64(rowBytes), rows: rowCount, steps: code.i64(steps), panels: firstPanel,
                                panelBytes: code.i64(panelBytes), columns: columnCount, c: y0, ldc: code.i64(n), format: format,
                                shape: shape)
                let bias = hasBias ? code.gep(code.f32, a[2], n0) : nil
                switch format {
                case .bf16:
                    linearEpilogue(tile: y0, rows: rowCount, columns: columnCount, stride: n, bias: bias, activation: activation)
                case .int8:
                    let scales = code.gep(code.i8, a[1], code.i64(panels * panelBytes))
                    let sums = code.gep(code.i8, scales, code.i64(panels * width * 4))
                    dequantizeEpilogue(tile: y0, rows: rowCount, columns: columnCount, stride: n, rowParameters: rowParameters,
                                       scales: code.gep(code.f32, scales, n0), sums: code.gep(code.i32, sums, n0),
                                       bias: bias, activation: activation)
                }
            }
        }
    }

    /// Bytes between converted rows: whole steps, padded to an odd number of 64-byte cache lines.
    /// The register block reads 12 rows at once; with a stride that is a multiple of 4 KB
    /// (xxlarge's FFN down: 6144 bf16 = 12 KB) all 12 fall into one set of the 8-way L1 cache
    /// and evict each other every step (measured: FFN down at 68 % of the other products' speed).
    static func reducedRowBytes(steps: Int) -> Int {
        (((steps * 4 + 63) / 64) | 1) * 64
    }

    /// Converts `rows` rows of `k` floats at `x` into `format`, row r at `target + r · rowBytes`,
    /// padded with zeros to whole steps. bf16: rounded to nearest, ties to even, on the bit
    /// pattern. int8: per row, lo = min(0, min x) and hi = max(0, max x), scale = (hi − lo) / 255
    /// (1 for an all-zero row), zero point z = rint(−lo / scale), q = clamp(rint(x / scale) + z,
    /// 0, 255) as uint8; (scale, z) stored at `parameters + 8r` as (fp32, int32).
    private func convertRows(_ x: IRValue, rows: IRValue, k: Int, into target: IRValue, rowBytes: Int,
                             parameters: IRValue, format: ReducedPrecision) {
        let c = code
        let padded = format.steps(k) * format.group
        let i16 = LLVMInt16TypeInContext(c.context)!
        c.loop(c.i64(0), rows) { r in
            let source = c.gep(c.f32, x, c.mul(r, k))
            let row = c.gep(c.i8, target, c.mul(r, rowBytes))
            switch format {
            case .bf16:
                c.loop(k) { j in c.store(bf16(c.load(c.i32, source, j)), i16, row, j) }
                for j in k..<padded { c.store(LLVMConstInt(i16, 0, 0)!, i16, row, c.i64(j)) }
            case .int8:
                // The range through order-preserving integer keys of the floats (vectorisable
                // integer min/max reductions): key = bits ^ ((bits >> 31) & 0x7fffffff).
                func key(_ bits: IRValue) -> IRValue { c.xor(bits, c.and(c.ashr(bits, c.i32(31)), c.i32(0x7FFF_FFFF))) }
                let range = c.loop(c.i64(0), c.i64(k), carrying: [c.i32(0), c.i32(0)]) { j, extremes in
                    let value = key(c.load(c.i32, source, j))
                    return [c.select(c.lt(value, extremes[0]), value, extremes[0]),
                            c.select(c.lt(extremes[1], value), value, extremes[1])]
                }
                let lo = c.bitcastToFloat(key(range[0])), hi = c.bitcastToFloat(key(range[1]))
                let spread = c.fsub(hi, lo)
                let scale = c.select(c.fgt(spread, c.f32(0)), c.fdiv(spread, c.f32(255)), c.f32(1))
                let inverse = c.fdiv(c.f32(1), scale)
                let zero = c.fptosi32(c.clamp(c.floatIntrinsic("rint", [c.fmul(c.fneg(lo), inverse)]), 0, 255))
                c.store(scale, c.f32, parameters, c.mul(r, 2))
                c.store(zero, c.i32, parameters, c.add(c.mul(r, 2), 1))
                c.loop(k) { j in
                    let q = c.wrappingAdd(c.fptosi32(c.floatIntrinsic("rint", [c.fmul(c.load(c.f32, source, j), inverse)])), zero)
                    let clamped = c.select(c.lt(q, c.i32(0)), c.i32(0), c.select(c.lt(c.i32(255), q), c.i32(255), q))
                    c.store(LLVMBuildTrunc(c.builder, clamped, c.i8, "")!, c.i8, row, j)
                }
                for j in k..<padded { c.store(LLVMConstInt(c.i8, 0, 0)!, c.i8, row, c.i64(j)) }
            }
        }
    }

    /// The bfloat16 nearest the float with bit pattern `bits` (an i32), ties to even, as an i16:
    /// `(bits + 0x7fff + lsb) >> 16`, the rounding `ReducedPrecision.bf16Bits` does at compile time.
    func bf16(_ bits: IRValue) -> IRValue {
        let c = code
        let odd = c.and(c.lshr(bits, c.i32(16)), c.i32(1))
        let rounded = c.lshr(c.wrappingAdd(c.wrappingAdd(bits, c.i32(0x7FFF)), odd), c.i32(16))
        return LLVMBuildTrunc(c.builder, rounded, LLVMInt16TypeInContext(c.context), "")!
    }

    /// Rounds `rows` rows of `count` floats (row r at `source + r · stride` floats) to bf16, row r
    /// at `target + r · rowBytes`, with a zero after an odd count (whole pairs).
    func convertRowsToBF16(_ source: IRValue, stride: IRValue, rows: IRValue, count: IRValue, into target: IRValue, rowBytes: IRValue) {
        let c = code
        let i16 = LLVMInt16TypeInContext(c.context)!
        c.loop(c.i64(0), rows) { r in
            let from = c.gep(c.f32, source, c.mul(r, stride))
            let row = c.gep(c.i8, target, c.mul(r, rowBytes))
            c.loop(c.i64(0), count) { j in c.store(bf16(c.load(c.i32, from, j)), i16, row, j) }
            c.store(LLVMConstInt(i16, 0, 0)!, i16, row, count)
        }
    }

    /// Packs a `[count, depth]` block (row r at `source + r · stride` floats) as bf16 pair panels
    /// whose columns are its rows (Kᵀ for Q·Kᵀ): panel p, step s, lane l holds rows' elements
    /// `2s, 2s + 1` of row `32p + l`; ⌈count / 32⌉ panels of ⌈depth / 2⌉ steps × 128 bytes, zeros
    /// past `count` and `depth`.
    func packTransposedPairs(_ source: IRValue, stride: IRValue, count: IRValue, depth: Int, into target: IRValue) {
        let c = code
        let i16 = LLVMInt16TypeInContext(c.context)!
        let width = gemm.columns, steps = (depth + 1) / 2
        c.loop(c.i64(0), c.mul(c.ceilDiv(count, width), width)) { r in
            let inside = c.lt(r, count)
            let row = c.gep(c.f32, source, c.mul(c.smin(r, c.sub(count, c.i64(1))), stride))
            let panel = c.gep(i16, target, c.add(c.mul(c.div(r, c.i64(width)), steps * width * 2), c.mul(c.rem(r, c.i64(width)), 2)))
            c.loop(depth) { k in
                let value = c.select(inside, bf16(c.load(c.i32, row, k)), LLVMConstInt(i16, 0, 0)!)
                c.store(value, i16, panel, c.add(c.mul(c.div(k, c.i64(2)), width * 2), c.rem(k, c.i64(2))))
            }
            if depth % 2 == 1 { c.store(LLVMConstInt(i16, 0, 0)!, i16, panel, c.i64(depth / 2 * width * 2 + 1)) }
        }
    }

    /// Packs a `[rows, columns]` block (row r at `source + r · stride` floats) as bf16 pair panels
    /// of 32 of its columns (V for P·V): panel p, step s, lane l holds rows `2s, 2s + 1` of column
    /// `32p + l`; ⌈columns / 32⌉ panels of ⌈rows / 2⌉ steps × 128 bytes, zeros past the block.
    func packColumnPairs(_ source: IRValue, stride: IRValue, rows: IRValue, columns: Int, into target: IRValue) {
        let c = code
        let i16 = LLVMInt16TypeInContext(c.context)!
        let width = gemm.columns
        let steps = c.ceilDiv(rows, 2)
        c.loop(c.i64(0), c.mul(steps, 2)) { r in
            let inside = c.lt(r, rows)
            let row = c.gep(c.f32, source, c.mul(c.smin(r, c.sub(rows, c.i64(1))), stride))
            let step = c.gep(i16, target, c.add(c.mul(c.div(r, c.i64(2)), width * 2), c.rem(r, c.i64(2))))
            for p in 0..<(columns + width - 1) / width {
                let panel = c.gep(i16, step, c.mul(c.mul(steps, c.i64(p)), width * 2))
                c.loop(width) { l in
                    let column = p * width
                    var value = bf16(c.load(c.i32, row, c.add(l, column)))
                    if column + width > columns {
                        value = c.select(c.lt(c.add(l, column), c.i64(columns)),
                                         bf16(c.load(c.i32, row, c.smin(c.add(l, column), c.i64(columns - 1)))), LLVMConstInt(i16, 0, 0)!)
                    }
                    c.store(c.select(inside, value, LLVMConstInt(i16, 0, 0)!), i16, panel, c.mul(l, 2))
                }
            }
        }
    }

    /// `c[rows × columns] = A · B` in `format`: A's rows converted (`convertRows`, row r at
    /// `a + r · lda` bytes), B the packed panels from `panels` (`panelBytes` apart, `steps`
    /// steps of 32 lanes × 4 bytes each); fp32 results for bf16, int32 sums for int8 (in c's
    /// memory). Panels of `shape.columns` lanes (the fp32 kernel's `gemm` unless given) outer,
    /// blocks of `shape.rows` rows inner.
    func multiplyReduced(a: IRValue, lda: IRValue, rows: IRValue, steps: IRValue, panels: IRValue, panelBytes: IRValue,
                         columns: IRValue, c: IRValue, ldc: IRValue, format: ReducedPrecision, shape: PackedGemm? = nil) {
        let shape = shape ?? gemm
        let kernels = (1...shape.rows).map { reducedBlock(rows: $0, format: format, shape: shape) }
        code.loop(code.i64(0), code.ceilDiv(columns, shape.columns)) { p in
            let column = code.mul(p, shape.columns)
            let width = code.smin(code.i64(shape.columns), code.sub(columns, column))
            let b = code.gep(code.i8, panels, code.mul(p, panelBytes))
            code.loop(code.i64(0), code.ceilDiv(rows, shape.rows)) { block in
                let r0 = code.mul(block, shape.rows)
                let count = code.smin(code.i64(shape.rows), code.sub(rows, r0))
                let arguments = [code.gep(code.i8, a, code.mul(r0, lda)), lda, steps, b,
                                 code.gep(code.f32, c, code.add(code.mul(r0, ldc), column)), ldc, width]
                for (r, kernel) in kernels.enumerated().reversed() {
                    code.when(code.eq(count, code.i64(r + 1))) { code.call(kernel.0, kernel.1, arguments) }
                }
            }
        }
    }

    /// The register-blocked kernel for `rows` rows in `format`: for r < rows and j < columns,
    /// `c[r · ldc + j] = Σ_s dot(a_r[s], b[s][j])` where a_r[s] is the 4-byte group s of row r
    /// (broadcast to every lane) and b[s] the step's 128 bytes (32 lanes). Parameters: a, lda
    /// (bytes), steps, b, c, ldc (elements), columns. Fewer columns than a panel's go through a
    /// stack tile.
    private func reducedBlock(rows: Int, format: ReducedPrecision, shape: PackedGemm) -> (IRValue, IRType) {
        let name = "gemm.block\(rows)x\(shape.columns).\(format)"
        let c = code
        let (fn, type) = c.function(name, [c.ptr, c.i64, c.i64, c.ptr, c.ptr, c.i64, c.i64], c.void)
        if LLVMCountBasicBlocks(fn) > 0 { return (fn, type) }
        let saved = c.currentBlock
        defer { c.position(at: saved) }
        c.addStringAttribute("min-legal-vector-width", "512", to: fn)
        for i: UInt32 in [1, 4, 5] { c.addAttribute("noalias", to: fn, at: i) }
        c.startBlock(in: fn)
        let (a, lda, steps, panel) = (c.param(fn, 0), c.param(fn, 1), c.param(fn, 2), c.param(fn, 3))
        let (out, ldc, columns) = (c.param(fn, 4), c.param(fn, 5), c.param(fn, 6))
        let lanes = 16, vectors = shape.vectors
        let words = LLVMVectorType(c.i32, 16)!
        let bfloats = LLVMVectorType(LLVMBFloatTypeInContext(c.context), 32)!
        let accumulator = format == .bf16 ? c.vectorType(lanes) : words
        let operand = format == .bf16 ? bfloats : words
        let (dot, dotType) = format == .bf16
            ? c.function("llvm.x86.avx512bf16.dpbf16ps.512", [accumulator, bfloats, bfloats], accumulator, internal: false)
            : c.function("llvm.x86.avx512.vpdpbusd.512", [words, words, words], words, internal: false)
        let (prefetch, prefetchType) = c.function("llvm.prefetch.p0", [c.ptr, c.i32, c.i32, c.i32], c.void, internal: false)
        let tile = c.entryAlloca(c.i32, count: c.i64(rows * shape.columns))
        let rowPointers = (0..<rows).map { c.gep(c.i8, a, c.mul(lda, c.i64($0))) }
        let zeros = Array(repeating: LLVMConstNull(accumulator)!, count: rows * vectors)
        let sums = c.loop(c.i64(0), steps, carrying: zeros) { step, acc in
            let row = c.gep(c.i8, panel, c.mul(step, shape.columns * 4))
            let b = (0..<vectors).map { c.load(operand, c.gep(c.i8, row, c.i64($0 * 64)), align: 64) }
            // prefetch(address, read, locality 2: L2 and beyond, data); a hint, never a fault,
            // so reaching past the last panel is harmless.
            for v in 0..<vectors {
                _ = c.call(prefetch, prefetchType, [c.gep(c.i8, row, c.i64(Self.reducedPrefetchBytes + v * 64)), c.i32(0), c.i32(2), c.i32(1)])
            }
            var next = acc
            for r in 0..<rows {
                let group = c.load(c.i32, c.gep(c.i8, rowPointers[r], c.mul(step, 4)), align: 4)
                let broadcast = LLVMBuildBitCast(c.builder, c.splat(group, type: words), operand, "")!
                for v in 0..<vectors { next[r * vectors + v] = c.call(dot, dotType, [acc[r * vectors + v], broadcast, b[v]]) }
            }
            return next
        }
        storeBlock(sums, rows: rows, into: out, ldc: ldc, columns: columns, through: tile, shape: shape)
        c.retVoid()
        return (fn, type)
    }

    /// The int8 epilogue over a tile of int32 sums: `y = act(float(sum − z_r · Σw_j) · s_r · s_j
    /// + bias_j)` with the row's scale and zero point (`parameters + 8r`), the channel's scale
    /// and int8 weight sum (`scales`, `sums` point at the tile's first channel).
    private func dequantizeEpilogue(tile y: IRValue, rows: IRValue, columns: IRValue, stride: Int, rowParameters: IRValue,
                                    scales: IRValue, sums: IRValue, bias: IRValue?, activation: OpKind?) {
        let c = code
        c.loop(c.i64(0), rows) { r in
            let row = c.gep(c.f32, y, c.mul(r, stride))
            let rowScale = c.load(c.f32, rowParameters, c.mul(r, 2))
            let zero = c.load(c.i32, rowParameters, c.add(c.mul(r, 2), 1))
            c.loop(c.i64(0), columns) { j in
                let sum = c.load(c.i32, row, j)
                let corrected = c.wrappingSub(sum, c.wrappingMul(zero, c.load(c.i32, sums, j)))
                var v = c.fmul(c.sitofp(corrected), c.fmul(rowScale, c.load(c.f32, scales, j)))
                if let bias { v = c.fadd(v, c.load(c.f32, bias, j)) }
                if let activation { v = c.activation(activation, v)! }
                c.store(v, c.f32, row, j)
            }
        }
    }
}
