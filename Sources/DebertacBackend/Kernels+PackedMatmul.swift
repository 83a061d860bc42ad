internal import CLLVM
import DebertacIR

/// The matrix product of `linear` with its constant weight packed at compile time, so nothing
/// is repacked per call: the kernel reads the activations in place and the weight as panels of
/// `PackedGemm.columns` output columns (`WeightsLayout.Source.panels`), column by column.
///
/// The register block is `rows × columns` outputs: `rows` rows of x, each against one panel,
/// held in `rows · vectors` accumulators for the whole reduction over K, which runs in order
/// k = 0, 1, … with one fused multiply-add per step. Each output is therefore the same
/// sequence of roundings whatever the tiling, the thread count or the row's position, so
/// results are bit-identical across thread counts.
struct PackedGemm {
    /// Floats per vector register, and vectors per row of the register block.
    let lanes: Int
    let vectors: Int
    /// Rows of the register block: as many as fit with the panel's vectors and a broadcast in
    /// the vector registers (12 with 32 registers, 6 with 16).
    let rows: Int

    init(vectorRegisters: (lanes: Int, count: Int)) {
        lanes = vectorRegisters.lanes
        vectors = 2
        rows = min(12, (vectorRegisters.count - 2 * vectors) / vectors)
    }

    /// A block of `rows` rows × `vectors` vectors of `lanes` output channels.
    init(lanes: Int, vectors: Int, rows: Int) {
        (self.lanes, self.vectors, self.rows) = (lanes, vectors, rows)
    }

    /// Output columns of one panel.
    var columns: Int { lanes * vectors }
}

extension ModuleEmitter {
    /// Columns of one `linear` task's tile: 6 panels of 32 (AVX-512) or 12 of 16 (AVX), so that
    /// the common widths (768, 1536, 2304, 3072, …) split into equal tiles.
    static let packedTileColumns = 192
    /// Reduction length above which a panel is multiplied in passes of `packedPassDepth` steps,
    /// so that a pass's slice of the panel and of the tile's rows stay in the core's caches
    /// (for xxlarge's FFN down, K = 6144, the tile's rows alone are 3 MB).
    static let packedPassThreshold = 2048
    static let packedPassDepth = 512
    /// How far ahead the block kernel asks for the panel stream (a hint into L2; never faults).
    static let packedPrefetchBytes = 8192

    /// `activation(x · weightᵀ + bias)` with a packed constant weight: one task per tile of
    /// `20 · rows` rows × 192 columns; per panel of the tile and block of rows, one call to the
    /// register-blocked kernel (`gemmBlock`); then the bias and activation over the tile.
    func lowerPackedLinear(_ op: Op, weight: WeightsLayout.Source, n: Int, k: Int, activation: OpKind?) throws(BackendError) {
        let x = graph.type(of: op.operands[0])
        let hasBias = op.operands.count > 2
        let shape = gemm
        let precision = try storagePrecision(of: weight)
        let panel = WeightsLayout.Source.panels(weight, rows: n, columns: k, width: shape.columns, precision: precision)
        var sources: [PointerSource] = [.value(op.operands[0]),
                                        .weights(panel, elements: WeightsLayout.Source.panelElements(rows: n, columns: k, width: shape.columns))]
        if hasBias { sources.append(.value(op.operands[2])) }
        sources.append(.value(op.result))
        let out = sources.count - 1
        let tileRows = 20 * shape.rows
        let tileColumns = Self.packedTileColumns
        let columnTiles = (n + tileColumns - 1) / tileColumns
        let leading = Array(x.shape.dropLast())
        let count = code.mul(code.ceilDiv(code.product(leading.map(size)), tileRows), columnTiles)
        try launch(key(op, "packed\(shape.lanes)x\(shape.rows).\(precision)"), sources, count: count) { a in
            /// Element `index` of the packed weight.
            func weights(_ index: IRValue) -> IRValue { code.gep(code.i8, a[1], code.mul(index, precision.bytes)) }
            let m = code.product(leading.map { a.size($0, code) })
            forEachTask(a) { task in
                let m0 = code.mul(code.div(task, code.i64(columnTiles)), tileRows)
                let n0 = code.mul(code.rem(task, code.i64(columnTiles)), tileColumns)
                let rowCount = code.smin(code.i64(tileRows), code.sub(m, m0))
                let columnCount = code.smin(code.i64(tileColumns), code.sub(code.i64(n), n0))
                let x0 = code.gep(code.f32, a[0], code.mul(m0, k))
                let y0 = code.gep(code.f32, a[out], code.add(code.mul(m0, n), n0))
                if k <= Self.packedPassThreshold {
                    multiplyPanels(a: x0, lda: code.i64(k), rows: rowCount, depth: code.i64(k),
                                   panel: { p in weights(code.mul(code.add(n0, code.mul(p, shape.columns)), k)) }, precision: precision,
                                   ldb: code.i64(shape.columns), columns: columnCount, c: y0, ldc: code.i64(n))
                } else {
                    // Panel by panel, the reduction in passes; later passes continue the FMA chains.
                    let depth = Self.packedPassDepth, passes = (k + depth - 1) / depth
                    code.loop(code.i64(0), code.ceilDiv(columnCount, shape.columns)) { p in
                        let column = code.mul(p, shape.columns)
                        let panel = code.mul(code.add(n0, column), k)
                        for pass in 0..<passes {
                            multiplyPanels(a: code.gep(code.f32, x0, code.i64(pass * depth)), lda: code.i64(k), rows: rowCount,
                                           depth: code.i64(min(depth, k - pass * depth)),
                                           panel: { _ in weights(code.add(panel, code.i64(pass * depth * shape.columns))) }, precision: precision,
                                           ldb: code.i64(shape.columns), columns: code.smin(code.i64(shape.columns), code.sub(columnCount, column)),
                                           c: code.gep(code.f32, y0, column), ldc: code.i64(n), accumulate: pass > 0)
                        }
                    }
                }
                linearEpilogue(tile: y0, rows: rowCount, columns: columnCount, stride: n,
                               bias: hasBias ? code.gep(code.f32, a[2], n0) : nil, activation: activation)
            }
        }
    }

    /// `c[rows × columns] = a[rows × depth] · B`, B given as panels of `PackedGemm.columns`
    /// columns: panel p (columns `p · 32 ..< p · 32 + 32` with AVX-512) starts at `panel(p)`,
    /// its row k at `panel(p) + k · ldb` elements stored in `precision` (widened to fp32 as they
    /// are loaded), and holds whole panels of readable elements (the last
    /// panel's columns past `columns` are computed and dropped). With `accumulate` the products
    /// are added to c's values, continuing their FMA chains. Panels outer, blocks of
    /// `PackedGemm.rows` rows inner, each block one call to the register-blocked kernel.
    func multiplyPanels(a: IRValue, lda: IRValue, rows: IRValue, depth: IRValue, panel: (IRValue) -> IRValue,
                        precision: WeightsLayout.Precision = .f32, ldb: IRValue,
                        columns: IRValue, c: IRValue, ldc: IRValue, accumulate: Bool = false) {
        let shape = gemm
        let kernels = (1...shape.rows).map { gemmBlock(rows: $0, accumulate: accumulate, precision: precision) }
        code.loop(code.i64(0), code.ceilDiv(columns, shape.columns)) { p in
            let column = code.mul(p, shape.columns)
            let width = code.smin(code.i64(shape.columns), code.sub(columns, column))
            let b = panel(p)
            code.loop(code.i64(0), code.ceilDiv(rows, shape.rows)) { block in
                let r0 = code.mul(block, shape.rows)
                let count = code.smin(code.i64(shape.rows), code.sub(rows, r0))
                let arguments = [code.gep(code.f32, a, code.mul(r0, lda)), lda, depth, b, ldb,
                                 code.gep(code.f32, c, code.add(code.mul(r0, ldc), column)), ldc, width]
                // Full blocks first; only the last block of a matrix has fewer rows.
                for (r, kernel) in kernels.enumerated().reversed() {
                    code.when(code.eq(count, code.i64(r + 1))) { code.call(kernel.0, kernel.1, arguments) }
                }
            }
        }
    }

    /// The register-blocked kernel for `rows` rows (generated once per row count and start):
    /// for r < rows, `c[r · ldc + j] (+)= Σ_k a[r · lda + k] · b[k · ldb + j]` for j < columns,
    /// where b's rows hold `PackedGemm.columns` readable floats; the sums start from zero, or
    /// from c with `accumulate`. Parameters: a, lda, depth, b, ldb, c, ldc, columns. Fewer
    /// columns than a panel's go through a stack tile, so nothing past them is read or written.
    /// b's elements are stored in `precision`.
    private func gemmBlock(rows: Int, accumulate: Bool, precision: WeightsLayout.Precision) -> (IRValue, IRType) {
        let shape = gemm
        let name = "gemm.block\(rows)x\(shape.columns)\(precision == .f32 ? "" : ".\(precision)")\(accumulate ? ".accumulate" : "")"
        let c = code
        let (fn, type) = c.function(name, [c.ptr, c.i64, c.i64, c.ptr, c.i64, c.ptr, c.i64, c.i64], c.void)
        if LLVMCountBasicBlocks(fn) > 0 { return (fn, type) }
        let saved = c.currentBlock
        defer { c.position(at: saved) }
        c.addStringAttribute("min-legal-vector-width", "\(shape.lanes * 32)", to: fn)
        for i: UInt32 in [1, 4, 6] { c.addAttribute("noalias", to: fn, at: i) }
        c.startBlock(in: fn)
        let (a, lda, depth, panel, ldb) = (c.param(fn, 0), c.param(fn, 1), c.param(fn, 2), c.param(fn, 3), c.param(fn, 4))
        let (out, ldc, columns) = (c.param(fn, 5), c.param(fn, 6), c.param(fn, 7))
        let lanes = shape.lanes, vectors = shape.vectors
        let full = c.eq(columns, c.i64(shape.columns))
        let tile = c.entryAlloca(c.f32, count: c.i64(rows * shape.columns))
        var starts = Array(repeating: c.zeroVector(lanes), count: rows * vectors)
        if accumulate {
            // c's values, through the tile when the block is narrower than a panel.
            c.when(c.not(full)) {
                c.loop(c.i64(0), c.i64(rows)) { r in
                    c.loop(c.i64(0), c.i64(shape.columns)) { j in
                        let inside = c.lt(j, columns)
                        let source = c.gep(c.f32, out, c.add(c.mul(r, ldc), c.smin(j, c.sub(columns, c.i64(1)))))
                        c.store(c.select(inside, c.load(c.f32, source), c.f32(0)), c.f32, tile, c.add(c.mul(r, shape.columns), j))
                    }
                }
            }
            let base = c.select(full, out, tile), stride = c.select(full, ldc, c.i64(shape.columns))
            starts = (0..<rows * vectors).map { index in
                c.loadVector(lanes, c.gep(c.f32, base, c.add(c.mul(stride, c.i64(index / vectors)), c.i64(index % vectors * lanes))))
            }
        }
        let (prefetch, prefetchType) = c.function("llvm.prefetch.p0", [c.ptr, c.i32, c.i32, c.i32], c.void, internal: false)
        let rowPointers = (0..<rows).map { c.gep(c.f32, a, c.mul(lda, c.i64($0))) }
        let sums = c.loop(c.i64(0), depth, carrying: starts) { step, acc in
            let row = c.gep(c.i8, panel, c.mul(c.mul(step, ldb), precision.bytes))
            let b = (0..<vectors).map { c.loadVector(lanes, c.gep(c.i8, row, c.i64($0 * lanes * precision.bytes)), precision: precision) }
            for v in 0..<(vectors * lanes * precision.bytes + 63) / 64 {
                _ = c.call(prefetch, prefetchType, [c.gep(c.i8, row, c.i64(Self.packedPrefetchBytes + v * 64)), c.i32(0), c.i32(2), c.i32(1)])
            }
            var next = acc
            for r in 0..<rows {
                let x = c.splat(c.load(c.f32, rowPointers[r], step), lanes: lanes)
                for v in 0..<vectors { next[r * vectors + v] = c.fma(x, b[v], acc[r * vectors + v], lanes: lanes) }
            }
            return next
        }
        storeBlock(sums, rows: rows, into: out, ldc: ldc, columns: columns, through: tile)
        c.retVoid()
        return (fn, type)
    }

    /// Stores a register block's `rows × shape.vectors` vectors of 32-bit sums (fp32 or int32) at
    /// `out`, rows `ldc` elements apart (`shape`: the fp32 kernel's `gemm` unless given): directly
    /// when the block is a whole panel wide (`columns` equal to `shape.columns`), else through
    /// `tile` (a stack tile of `rows × shape.columns`), copying only the first `columns` of each
    /// row, so nothing past them is written.
    func storeBlock(_ sums: [IRValue], rows: Int, into out: IRValue, ldc: IRValue, columns: IRValue, through tile: IRValue,
                    shape: PackedGemm? = nil) {
        let c = code, shape = shape ?? gemm
        func store(into target: IRValue, stride: IRValue) {
            for r in 0..<rows {
                for v in 0..<shape.vectors {
                    c.store(sums[r * shape.vectors + v], c.gep(c.i32, target, c.add(c.mul(stride, c.i64(r)), c.i64(v * shape.lanes))), align: 4)
                }
            }
        }
        let full = c.eq(columns, c.i64(shape.columns))
        c.when(full) { store(into: out, stride: ldc) }
        c.when(c.not(full)) {
            store(into: tile, stride: c.i64(shape.columns))
            c.loop(c.i64(0), c.i64(rows)) { r in
                c.loop(c.i64(0), columns) { j in
                    c.store(c.load(c.i32, tile, c.add(c.mul(r, shape.columns), j)), c.i32, out, c.add(c.mul(r, ldc), j))
                }
            }
        }
    }

    /// Packs `count` rows of `depth` floats (row r at `source + r · stride`) as the panels
    /// `multiplyPanels` multiplies by, i.e. transposed: row r becomes column r. Writes
    /// ⌈count / 32⌉ panels of `depth × 32` floats at `target`, zeros past `count`.
    func packTransposed(_ source: IRValue, stride: IRValue, count: IRValue, depth: Int, into target: IRValue) {
        let width = gemm.columns
        code.loop(code.i64(0), code.mul(code.ceilDiv(count, width), width)) { r in
            let panel = code.gep(code.f32, target, code.add(code.mul(code.div(r, code.i64(width)), depth * width), code.rem(r, code.i64(width))))
            let inside = code.lt(r, count)
            let row = code.gep(code.f32, source, code.mul(code.smin(r, code.sub(count, code.i64(1))), stride))
            code.loop(depth) { k in
                let v = code.select(inside, code.load(code.f32, row, k), code.f32(0))
                code.store(v, code.f32, panel, code.mul(k, width))
            }
        }
    }

    /// Packs a `rows × columns` block (row r at `source + r · stride`) as panels of 32 of its
    /// columns: ⌈columns / 32⌉ panels of `rows × 32` floats at `target`, zeros past `columns`.
    func packColumns(_ source: IRValue, stride: IRValue, rows: IRValue, columns: Int, into target: IRValue) {
        let width = gemm.columns
        let panels = (columns + width - 1) / width
        code.loop(code.i64(0), rows) { r in
            let row = code.gep(code.f32, source, code.mul(r, stride))
            for p in 0..<panels {
                let out = code.gep(code.f32, target, code.add(code.mul(code.i64(p), code.mul(rows, width)), code.mul(r, width)))
                code.loop(width) { j in
                    let column = p * width
                    if column + width <= columns {
                        code.store(code.load(code.f32, row, code.add(j, column)), code.f32, out, j)
                    } else {
                        let inside = code.lt(code.add(j, column), code.i64(columns))
                        let v = code.select(inside, code.load(code.f32, row, code.smin(code.add(j, column), code.i64(columns - 1))), code.f32(0))
                        code.store(v, code.f32, out, j)
                    }
                }
            }
        }
    }
}
