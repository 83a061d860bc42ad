internal import CLLVM
import DebertacIR

/// Disentangled attention: the unfused score terms (`c2p_scores`, `p2c_scores`),
/// `masked_softmax`, and the fused `disentangled_attention(_qkv)` kernel.
///
/// The unfused kernels work one query row (b, h, i) per task. The fused kernel works one head
/// (b, h) per task, with that head's score matrices in the running thread's workspace: no
/// `[B, H, T, T]` tensor, no heap, and nothing that depends on which thread runs the head.
extension ModuleEmitter {
    /// Σ_c x[c] · y[c] over a head of `d` floats.
    func dot(_ x: IRValue, _ y: IRValue, _ d: Int) -> IRValue {
        code.reassociating {
            code.loop(code.i64(0), code.i64(d), carrying: [code.f32(0)]) { c, acc in
                [code.fadd(acc[0], code.fmul(code.load(code.f32, x, c), code.load(code.f32, y, c)))]
            }[0]
        }
    }

    /// Splits a row task into (b, h, i) for `heads` heads.
    private func rowIndices(_ task: IRValue, heads: Int, length t: IRValue) -> (b: IRValue, h: IRValue, i: IRValue) {
        let i = code.rem(task, t)
        let bh = code.div(task, t)
        return (code.div(bh, code.i64(heads)), code.rem(bh, code.i64(heads)), i)
    }

    /// `c2p_scores(q, pos_key, idx)`: `s[b, h, i, j] = q[b, i, h] · pos_key[idx[i, j], h]`;
    /// `p2c_scores(k, pos_query, idx)`: `s[b, h, i, j] = k[b, j, h] · pos_query[idx[i, j], h]`.
    func lowerRelativeScores(_ op: Op) throws(BackendError) {
        guard let width = graph.type(of: op.operands[0]).shape[2].staticSize else { throw unsupported(op, "dynamic width") }
        let (heads, d) = try heads(op, width: width)
        let contentIsQuery = op.kind == .c2pScores
        try launch(key(op), sources(op), count: code.mul(code.mul(batch, heads), length)) { a in
            let t = a.length
            forEachTask(a) { task in
                let (b, h, i) = rowIndices(task, heads: heads, length: t)
                let tokens = code.mul(b, t)
                let head = code.mul(h, d)
                let query = code.gep(code.f32, a[0], code.add(code.mul(code.add(tokens, i), width), head))
                let out = code.gep(code.f32, a[3], code.mul(task, t))
                let indexRow = code.gep(code.i32, a[2], code.mul(i, t))
                code.loop(code.i64(0), t) { j in
                    let position = code.sext(code.load(code.i32, indexRow, j))
                    let positionRow = code.gep(code.f32, a[1], code.add(code.mul(position, width), head))
                    let content = contentIsQuery
                        ? query
                        : code.gep(code.f32, a[0], code.add(code.mul(code.add(tokens, j), width), head))
                    code.store(dot(content, positionRow, d), code.f32, out, j)
                }
            }
        }
    }

    /// Softmax over j of row (b, h, i) after masking, as HF: entries with
    /// `mask[b, i] · mask[b, j] = 0` become −FLT_MAX before the maximum is subtracted.
    /// The row is finished from `row` (scores, exponentials written in place) into `out`.
    private func softmaxRow(_ row: IRValue, _ out: IRValue, length t: IRValue) {
        let maximum = code.reassociating {
            code.loop(code.i64(0), t, carrying: [code.f32(-.infinity)]) { j, acc in
                [code.floatIntrinsic("maximum", [acc[0], code.load(code.f32, row, j)])]
            }[0]
        }
        let sum = code.reassociating {
            code.loop(code.i64(0), t, carrying: [code.f32(0)]) { j, acc in
                let e = code.exp(code.fsub(code.load(code.f32, row, j), maximum))
                code.store(e, code.f32, out, j)
                return [code.fadd(acc[0], e)]
            }[0]
        }
        code.loop(code.i64(0), t) { j in
            code.store(code.fdiv(code.load(code.f32, out, j), sum), code.f32, out, j)
        }
    }

    /// `row[j] = exp(row[j] − maximum)` for j < T, returning the sum (the softmax's numerators
    /// and denominator).
    private func exponentiate(_ row: IRValue, length t: IRValue, maximum: IRValue) -> IRValue {
        code.reassociating {
            code.loop(code.i64(0), t, carrying: [code.f32(0)]) { j, acc in
                let e = code.exp(code.fsub(code.load(code.f32, row, j), maximum))
                code.store(e, code.f32, row, j)
                return [code.fadd(acc[0], e)]
            }[0]
        }
    }

    /// The mask test of HF's attention: whether `mask[b, i] · mask[b, j] = 0`.
    private func masked(_ mask: IRValue, _ tokens: IRValue, _ queryMask: IRValue, _ j: IRValue) -> IRValue {
        code.eq(code.wrappingMul(queryMask, code.load(code.i32, mask, code.add(tokens, j))), code.i32(0))
    }

    /// `masked_softmax(s, mask)` over rows (b, h, i); in place on s when the plan says so.
    /// `mix_heads(s, weight)`: one task per (b, i), `out[b, g, i, :] = Σ_h weight[g, h] ·
    /// s[b, h, i, :]` for every head g, summed over h in order from zero. Never in place: every
    /// output row reads every head's row.
    func lowerMixHeads(_ op: Op) throws(BackendError) {
        let s = graph.type(of: op.operands[0])
        guard let heads = s.shape[1].staticSize else { throw unsupported(op, "dynamic head count") }
        try launch(key(op), sources(op), count: code.mul(batch, length)) { a in
            let t = a.length
            forEachTask(a) { task in
                let b = code.div(task, t), i = code.rem(task, t)
                /// Offset of row (b, head, i) of a [B, H, T, T] tensor.
                func row(_ head: IRValue) -> IRValue {
                    code.mul(code.add(code.mul(code.add(code.mul(b, code.i64(heads)), head), t), i), t)
                }
                code.loop(heads) { g in
                    let out = code.gep(code.f32, a[2], row(g))
                    code.loop(code.i64(0), t) { j in code.store(code.f32(0), code.f32, out, j) }
                    code.loop(heads) { h in
                        let factor = code.load(code.f32, a[1], code.add(code.mul(g, code.i64(heads)), h))
                        let input = code.gep(code.f32, a[0], row(h))
                        code.loop(code.i64(0), t) { j in
                            let sum = code.fadd(code.load(code.f32, out, j), code.fmul(factor, code.load(code.f32, input, j)))
                            code.store(sum, code.f32, out, j)
                        }
                    }
                }
            }
        }
    }

    func lowerMaskedSoftmax(_ op: Op) throws(BackendError) {
        let s = graph.type(of: op.operands[0])
        guard let heads = s.shape[1].staticSize else { throw unsupported(op, "dynamic head count") }
        try launch(key(op), sources(op), count: code.mul(code.mul(batch, heads), length)) { a in
            let t = a.length
            forEachTask(a) { task in
                let (b, _, i) = rowIndices(task, heads: heads, length: t)
                let tokens = code.mul(b, t)
                let queryMask = code.load(code.i32, a[1], code.add(tokens, i))
                let input = code.gep(code.f32, a[0], code.mul(task, t))
                let out = code.gep(code.f32, a[2], code.mul(task, t))
                code.loop(code.i64(0), t) { j in
                    let v = code.select(masked(a[1], tokens, queryMask, j), code.f32(-.greatestFiniteMagnitude),
                                        code.load(code.f32, input, j))
                    code.store(v, code.f32, out, j)
                }
                softmaxRow(out, out, length: t)
            }
        }
    }

    /// `disentangled_attention(q, k, v, mask, pos_key?, pos_query?, rel_table?)` and the
    /// packed `_qkv` form, one task per (b, h), every product on the packed matrix kernel
    /// (`multiplyPanels`), in the running thread's workspace:
    ///
    /// 1. pack Kᵀ and V for this head (pos_key [c2p] and pos_query [p2c] must be constants,
    ///    as `fold-constants` makes them: they are packed per head at compile time,
    ///    `WeightsLayout.Source.headPanels`);
    /// 2. `S = Q·Kᵀ` (T × T);
    /// 3. [c2p] per block of query rows i, `C = Q_block · pos_key[…]ᵀ` over just the panels of
    ///    position rows those rows reach, then `S_ij += C[i, idx]` with
    ///    `idx = rel_table[clamp(i − j, −R, R) + R]`;
    /// 4. [p2c] per block of keys j, `P = K_block · pos_query[…]ᵀ` likewise, then
    ///    `S_ij += P[j, idx]` (so each score is `(q·k + c2p) + p2c`, the unfused graph's order);
    /// 5. per row, `· scale`, −FLT_MAX where `mask[b, i] · mask[b, j] = 0`, and the softmax's
    ///    numerators `exp(s − max)` with their sum;
    /// 6. `out[b, :, h] = (S · V) / sum` into head h's columns (dividing the d outputs of a
    ///    row rather than its T probabilities).
    ///
    /// A block's position product has one register block of rows and at most N (position
    /// rows, rounded up to panels) columns, so everything a block reads stays in cache.
    func lowerDisentangledAttention(_ op: Op) throws(BackendError) {
        let packed = op.kind == .disentangledAttentionQKV
        let c2p = op.attributes["c2p"]?.intValue == 1, p2c = op.attributes["p2c"]?.intValue == 1
        let scale = Float(op.attributes["scale"]?.floatValue ?? 1)
        guard let width = graph.type(of: op.result).shape[2].staticSize else { throw unsupported(op, "dynamic width") }
        let (heads, d) = try heads(op, width: width)
        let contentCount = packed ? 1 : 3
        let maskIndex = contentCount
        var next = contentCount + 1
        let posKeyIndex: Int? = c2p ? next : nil
        if c2p { next += 1 }
        let posQueryIndex: Int? = p2c ? next : nil
        if p2c { next += 1 }
        var tableIndex: Int?
        var radius = 0
        var positionRows = 0
        var rowsOf: [Int: Int] = [:]
        if c2p || p2c {
            tableIndex = next
            guard let n = graph.type(of: op.operands[next]).shape[0].staticSize else { throw unsupported(op, "dynamic rel_table") }
            radius = (n - 1) / 2
            for index in [posKeyIndex, posQueryIndex].compactMap({ $0 }) {
                guard let rows = graph.type(of: op.operands[index]).shape[0].staticSize else {
                    throw unsupported(op, "dynamic position embeddings")
                }
                positionRows = max(positionRows, rows)
                rowsOf[index] = rows
            }
        }
        let out = op.operands.count
        let stride = packed ? 3 * width : width
        // Column offsets of q, k, v within their rows, and which pointer holds each.
        let (qPointer, kPointer, vPointer) = packed ? (0, 0, 0) : (0, 1, 2)
        let (qColumn, kColumn, vColumn) = packed ? (0, width, 2 * width) : (0, 0, 0)
        let panel = gemm.columns, block = 2 * gemm.rows
        let paddedHead = (d + panel - 1) / panel * panel
        let paddedPositions = (positionRows + panel - 1) / panel * panel
        let terms = (c2p ? 1 : 0) + (p2c ? 1 : 0)
        // S (T²), Kᵀ panels (≤ (T + 31)·d), V panels (T·d rounded up to panels), the row sums and
        // the bucket row (3T), and one block's position product.
        // bf16 (`{precision = "bf16"}` on a target with vdpbf16ps): every product on the bf16
        // kernel (`multiplyReduced`), from Q and K rows rounded to bf16, Kᵀ and V packed as bf16
        // pairs, the position embeddings as compile-time bf16 pair panels, and the softmax's
        // numerators rounded to bf16 for P·V; scores, softmax and sums stay fp32.
        let reduced = op.attributes["precision"]?.stringValue == "bf16" && reducedKernels.contains(.bf16)
        let pairs = (d + 1) / 2, headRowBytes = (pairs * 4 + 63) / 64 * 64
        // Beyond the fp32 regions: Q and K rows, Kᵀ and V pair panels, the probabilities' rows,
        // each region aligned to 64 bytes.
        let reducedBytes = reduced
            ? (perSquared: 2, perLength: 2 * headRowBytes + 4 * pairs + 2 * paddedHead + 65, constant: 124 * pairs + 2 * paddedHead + 6 * 64)
            : (perSquared: 0, perLength: 0, constant: 0)
        requireWorkspace(perSquaredLength: 4 + reducedBytes.perSquared, perLength: 4 * (d + paddedHead + 3) + reducedBytes.perLength,
                         constant: 4 * ((panel - 1) * d + (terms > 0 ? block * paddedPositions : 0)) + reducedBytes.constant)
        // The position embeddings are read as compile-time panels.
        var sources = sources(op)
        for index in [posKeyIndex, posQueryIndex].compactMap({ $0 }) {
            guard case let .weights(source)? = plan.storage[op.operands[index]], source.isPackable else {
                throw unsupported(op, "the position embeddings must be constants (weights-only, folded by fold-constants)")
            }
            if reduced {
                let packed = WeightsLayout.Source.bf16HeadPanels(source, rows: rowsOf[index]!, heads: heads, headSize: d, width: panel)
                sources[index] = .weights(packed, elements: WeightsLayout.bf16HeadPanelBytes(rows: rowsOf[index]!, heads: heads,
                                                                                              headSize: d, width: panel))
            } else {
                let packed = WeightsLayout.Source.headPanels(source, rows: rowsOf[index]!, heads: heads, headSize: d, width: panel)
                sources[index] = .weights(packed, elements: heads * ((rowsOf[index]! + panel - 1) / panel * panel) * d)
            }
        }

        try launch(key(op, "block\(block)x\(panel)\(reduced ? ".bf16" : "")"), sources, count: code.mul(batch, heads)) { a in
            let t = a.length
            let zero = code.i64(0)
            let scores = a.workspace
            let keysPacked = code.gep(code.f32, scores, code.mul(t, t))
            let valuesPacked = code.gep(code.f32, keysPacked, code.mul(code.mul(code.ceilDiv(t, panel), panel), d))
            var free = code.gep(code.f32, valuesPacked, code.mul(t, paddedHead))
            func take(_ floats: Int) -> IRValue {
                defer { free = code.gep(code.f32, free, code.i64(floats)) }
                return free
            }
            /// The table slot of i − j = r: `clamp(r, −R, R) + R`.
            func slot(_ r: IRValue) -> IRValue { code.add(code.smin(code.smax(r, code.i64(-radius)), code.i64(radius)), radius) }
            /// The table entry (position row) of i − j = r.
            func bucket(_ r: IRValue) -> IRValue { code.sext(code.load(code.i32, a[tableIndex!], slot(r))) }
            /// The lowest and highest table entries over i − j ∈ [first, last].
            func positionRange(_ first: IRValue, _ last: IRValue) -> (lo: IRValue, hi: IRValue) {
                let bounds = code.loop(slot(first), code.add(slot(last), 1), carrying: [code.i32(Int(Int32.max)), code.i32(0)]) { r, acc in
                    let p = code.load(code.i32, a[tableIndex!], r)
                    return [code.select(code.lt(p, acc[0]), p, acc[0]), code.select(code.lt(acc[1], p), p, acc[1])]
                }
                return (code.sext(bounds[0]), code.sext(bounds[1]))
            }
            let blockProduct = take(block * paddedPositions)
            let sums = take(0)
            free = code.gep(code.f32, free, t)
            // The table along a row: `buckets[j − i + T − 1]` is the entry of i − j, so each row's
            // entries are contiguous (2T − 1 ints).
            let buckets = free
            if tableIndex != nil {
                code.loop(zero, code.sub(code.add(t, t), code.i64(1))) { u in
                    code.store(code.trunc32(bucket(code.sub(code.sub(t, code.i64(1)), u))), code.i32, buckets, u)
                }
            }
            let gatherAdd = gatherAddFunction()
            // The bf16 regions (unused in fp32).
            var bytes = code.gep(code.i32, buckets, code.add(t, t))
            func takeBytes(_ count: IRValue) -> IRValue {
                let start = alignedTo64(bytes)
                bytes = code.gep(code.i8, start, count)
                return start
            }
            let probRowBytes = code.mul(code.ceilDiv(code.mul(code.ceilDiv(t, 2), code.i64(4)), 64), code.i64(64))
            let queryRows = reduced ? takeBytes(code.mul(t, code.i64(headRowBytes))) : zero
            let keyRows = reduced ? takeBytes(code.mul(t, code.i64(headRowBytes))) : zero
            let keyPairs = reduced ? takeBytes(code.mul(code.mul(code.ceilDiv(t, panel), panel), code.i64(pairs * 4))) : zero
            let valuePairs = reduced ? takeBytes(code.mul(code.ceilDiv(t, 2), code.i64(paddedHead * 4))) : zero
            let probRows = reduced ? takeBytes(code.mul(t, probRowBytes)) : zero

            forEachTask(a) { task in
                let b = code.div(task, code.i64(heads)), h = code.rem(task, code.i64(heads))
                let tokens = code.mul(b, t)
                let head = code.mul(h, d)
                func rows(_ pointer: Int, _ column: Int, from token: IRValue) -> IRValue {
                    code.gep(code.f32, a[pointer], code.add(code.mul(code.add(tokens, token), stride), code.add(head, code.i64(column))))
                }
                let (query, key) = (rows(qPointer, qColumn, from: zero), rows(kPointer, kColumn, from: zero))
                if reduced {
                    convertRowsToBF16(query, stride: code.i64(stride), rows: t, count: code.i64(d), into: queryRows,
                                      rowBytes: code.i64(headRowBytes))
                    if p2c {
                        convertRowsToBF16(key, stride: code.i64(stride), rows: t, count: code.i64(d), into: keyRows,
                                          rowBytes: code.i64(headRowBytes))
                    }
                    packTransposedPairs(key, stride: code.i64(stride), count: t, depth: d, into: keyPairs)
                    packColumnPairs(rows(vPointer, vColumn, from: zero), stride: code.i64(stride), rows: t, columns: d, into: valuePairs)
                } else {
                    packTransposed(key, stride: code.i64(stride), count: t, depth: d, into: keysPacked)
                    packColumns(rows(vPointer, vColumn, from: zero), stride: code.i64(stride), rows: t, columns: d, into: valuesPacked)
                }
                // This head's position panels.
                let positionPanels = [posKeyIndex, posQueryIndex].map { index in
                    index.map { i -> IRValue in
                        let rows = (rowsOf[i]! + panel - 1) / panel * panel
                        return reduced ? code.gep(code.i8, a[i], code.mul(h, rows * pairs * 4)) : code.gep(code.f32, a[i], code.mul(h, rows * d))
                    }
                }
                if reduced {
                    multiplyReduced(a: queryRows, lda: code.i64(headRowBytes), rows: t, steps: code.i64(pairs), panels: keyPairs,
                                    panelBytes: code.i64(pairs * panel * 4), columns: t, c: scores, ldc: t, format: .bf16)
                } else {
                    multiplyPanels(a: query, lda: code.i64(stride), rows: t, depth: code.i64(d),
                                   panel: { p in code.gep(code.f32, keysPacked, code.mul(p, d * panel)) }, ldb: code.i64(panel),
                                   columns: t, c: scores, ldc: t)
                }

                /// One relative term: per block of `block` rows of `content` (query rows for c2p,
                /// keys for p2c), the block's product with the position panels it reaches, then
                /// `add(row0, count, product, ldp, offset)` adds it into S.
                func relativeTerm(_ content: IRValue, _ positions: IRValue,
                                  reach range: (IRValue, IRValue) -> (first: IRValue, last: IRValue),
                                  add: (IRValue, IRValue, IRValue, IRValue, IRValue) -> Void) {
                    code.loop(zero, code.ceilDiv(t, block)) { blockIndex in
                        let row0 = code.mul(blockIndex, block)
                        let count = code.smin(code.i64(block), code.sub(t, row0))
                        let (first, last) = range(row0, count)
                        let (lo, hi) = positionRange(first, last)
                        let firstPanel = code.div(lo, code.i64(panel))
                        let panels = code.sub(code.add(code.div(hi, code.i64(panel)), 1), firstPanel)
                        let ldp = code.mul(panels, panel)
                        if reduced {
                            multiplyReduced(a: code.gep(code.i8, content, code.mul(row0, headRowBytes)), lda: code.i64(headRowBytes),
                                            rows: count, steps: code.i64(pairs),
                                            panels: code.gep(code.i8, positions, code.mul(firstPanel, pairs * panel * 4)),
                                            panelBytes: code.i64(pairs * panel * 4), columns: ldp, c: blockProduct, ldc: ldp, format: .bf16)
                        } else {
                            multiplyPanels(a: code.gep(code.f32, content, code.mul(row0, stride)), lda: code.i64(stride), rows: count,
                                           depth: code.i64(d),
                                           panel: { p in code.gep(code.f32, positions, code.mul(code.add(firstPanel, p), d * panel)) },
                                           ldb: code.i64(panel), columns: ldp, c: blockProduct, ldc: ldp)
                        }
                        // Entry idx of the product's row lies at column idx − firstPanel·32.
                        add(row0, count, blockProduct, ldp, code.mul(firstPanel, panel))
                    }
                }
                if let positions = positionPanels[0] {
                    // Query rows i0 ..< i0 + n reach i − j ∈ [i0 + 1 − T, i0 + n − 1].
                    relativeTerm(reduced ? queryRows : query, positions, reach: { i0, n in (code.sub(code.add(i0, 1), t), code.sub(code.add(i0, n), code.i64(1))) }) {
                        i0, n, product, ldp, origin in
                        code.loop(i0, code.add(i0, n)) { i in
                            let row = code.gep(code.f32, scores, code.mul(i, t))
                            let terms = code.gep(code.f32, product, code.mul(code.sub(i, i0), ldp))
                            let entries = code.gep(code.i32, buckets, code.sub(code.sub(t, code.i64(1)), i))
                            code.call(gatherAdd.0, gatherAdd.1, [row, entries, terms, zero, origin, t])
                        }
                    }
                }
                if let positions = positionPanels[1] {
                    // Keys j0 ..< j0 + n are reached from i − j ∈ [1 − j0 − n, T − 1 − j0].
                    relativeTerm(reduced ? keyRows : key, positions, reach: { j0, n in (code.sub(code.i64(1), code.add(j0, n)), code.sub(code.sub(t, code.i64(1)), j0)) }) {
                        j0, n, product, ldp, origin in
                        code.loop(zero, t) { i in
                            let row = code.gep(code.f32, scores, code.add(code.mul(i, t), j0))
                            let entries = code.gep(code.i32, buckets, code.add(code.sub(code.sub(t, code.i64(1)), i), j0))
                            code.call(gatherAdd.0, gatherAdd.1, [row, entries, product, ldp, origin, n])
                        }
                    }
                }
                // Per row: scale and mask (keeping the maximum), then exp(s − max) and its sum; the
                // division by the sum waits until after S · V (d divisions per row instead of T).
                code.loop(zero, t) { i in
                    let row = code.gep(code.f32, scores, code.mul(i, t))
                    let queryMask = code.load(code.i32, a[maskIndex], code.add(tokens, i))
                    let maximum = code.reassociating {
                        code.loop(zero, t, carrying: [code.f32(-.infinity)]) { j, acc in
                            let s = code.fmul(code.load(code.f32, row, j), code.f32(scale))
                            let v = code.select(masked(a[maskIndex], tokens, queryMask, j), code.f32(-.greatestFiniteMagnitude), s)
                            code.store(v, code.f32, row, j)
                            return [code.floatIntrinsic("maximum", [acc[0], v])]
                        }[0]
                    }
                    code.store(exponentiate(row, length: t, maximum: maximum), code.f32, sums, i)
                }
                let target = code.gep(code.f32, a[out], code.add(code.mul(tokens, width), head))
                if reduced {
                    convertRowsToBF16(scores, stride: t, rows: t, count: t, into: probRows, rowBytes: probRowBytes)
                    let steps = code.ceilDiv(t, 2)
                    multiplyReduced(a: probRows, lda: probRowBytes, rows: t, steps: steps, panels: valuePairs,
                                    panelBytes: code.mul(steps, code.i64(panel * 4)), columns: code.i64(d), c: target,
                                    ldc: code.i64(width), format: .bf16)
                } else {
                    multiplyPanels(a: scores, lda: t, rows: t, depth: t,
                                   panel: { p in code.gep(code.f32, valuesPacked, code.mul(p, code.mul(t, panel))) }, ldb: code.i64(panel),
                                   columns: code.i64(d), c: target, ldc: code.i64(width))
                }
                code.loop(zero, t) { i in
                    let row = code.gep(code.f32, target, code.mul(i, width))
                    let sum = code.load(code.f32, sums, i)
                    code.loop(d) { c in code.store(code.fdiv(code.load(code.f32, row, c), sum), code.f32, row, c) }
                }
            }
        }
    }

    /// `pointer` rounded up to a multiple of 64 bytes.
    private func alignedTo64(_ pointer: IRValue) -> IRValue {
        let address = LLVMBuildPtrToInt(code.builder, pointer, code.i64, "")!
        let aligned = code.and(code.add(address, code.i64(63)), code.i64(-64))
        return code.gep(code.i8, pointer, code.sub(aligned, address))
    }

    /// `attention.gather_add(row, entries, terms, stride, origin, n)`: for j < n,
    /// `row[j] += terms[j · stride + entries[j] − origin]`. A function of its own so that its
    /// pointers are `noalias` (they all point into one workspace) and LLVM vectorises the loop
    /// with gathers.
    private func gatherAddFunction() -> (IRValue, IRType) {
        let c = code
        let (fn, type) = c.function("attention.gather_add", [c.ptr, c.ptr, c.ptr, c.i64, c.i64, c.i64], c.void)
        if LLVMCountBasicBlocks(fn) > 0 { return (fn, type) }
        let saved = c.currentBlock
        defer { c.position(at: saved) }
        for i: UInt32 in [1, 2, 3] { c.addAttribute("noalias", to: fn, at: i) }
        c.startBlock(in: fn)
        let (row, entries, terms) = (c.param(fn, 0), c.param(fn, 1), c.param(fn, 2))
        let (stride, origin, n) = (c.param(fn, 3), c.param(fn, 4), c.param(fn, 5))
        // The index in 32 bits (it is below the workspace's float count), so the gathers take
        // 32-bit indices: twice the lanes of 64-bit ones.
        let (stride32, origin32) = (c.trunc32(stride), c.trunc32(origin))
        c.loop(c.i64(0), n) { j in
            let offset = c.sub(c.load(c.i32, entries, j), origin32)
            let index = c.add(c.mul(c.trunc32(j), stride32), offset)
            c.store(c.fadd(c.load(c.f32, row, j), c.load(c.f32, terms, c.sext(index))), c.f32, row, j)
        }
        c.retVoid()
        return (fn, type)
    }
}
