import DebertacIR

/// Disentangled attention: the unfused score terms (`c2p_scores`, `p2c_scores`),
/// `masked_softmax`, and the fused `disentangled_attention(_qkv)` kernel.
///
/// Every kernel here works one query row (b, h, i) per task and keeps at most one row of
/// scores, in a stack array of T floats: no `[B, H, T, T]` tensor in the fused kernel, no
/// heap, and nothing that depends on which thread runs the row.
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
                [code.fmax(acc[0], code.load(code.f32, row, j))]
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

    /// The mask test of HF's attention: whether `mask[b, i] · mask[b, j] = 0`.
    private func masked(_ mask: IRValue, _ tokens: IRValue, _ queryMask: IRValue, _ j: IRValue) -> IRValue {
        code.eq(code.wrappingMul(queryMask, code.load(code.i32, mask, code.add(tokens, j))), code.i32(0))
    }

    /// `masked_softmax(s, mask)` over rows (b, h, i); in place on s when the plan says so.
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
    /// packed `_qkv` form: per query row (b, h, i), the scores
    /// `((q_i·k_j + [c2p] q_i·pos_key[idx]) + [p2c] k_j·pos_query[idx]) · scale` with
    /// `idx = rel_table[clamp(i − j, −R, R) + R]` (the unfused graph's order of additions),
    /// masked softmax, and `Σ_j p_j · v_j` into head h's columns of row i.
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
        if c2p || p2c {
            tableIndex = next
            guard let n = graph.type(of: op.operands[next]).shape[0].staticSize else { throw unsupported(op, "dynamic rel_table") }
            radius = (n - 1) / 2
        }
        let out = op.operands.count
        let stride = packed ? 3 * width : width
        // Column offsets of q, k, v within their rows, and which pointer holds each.
        let (qPointer, kPointer, vPointer) = packed ? (0, 0, 0) : (0, 1, 2)
        let (qColumn, kColumn, vColumn) = packed ? (0, width, 2 * width) : (0, 0, 0)

        try launch(key(op), sources(op), count: code.mul(code.mul(batch, heads), length)) { a in
            let t = a.length
            let scores = code.scratch(code.f32, count: t)
            forEachTask(a) { task in
                let (b, h, i) = rowIndices(task, heads: heads, length: t)
                let tokens = code.mul(b, t)
                let head = code.mul(h, d)
                func row(_ pointer: Int, _ column: Int, _ token: IRValue) -> IRValue {
                    code.gep(code.f32, a[pointer], code.add(code.mul(code.add(tokens, token), stride), code.add(head, code.i64(column))))
                }
                let query = row(qPointer, qColumn, i)
                let queryMask = code.load(code.i32, a[maskIndex], code.add(tokens, i))
                code.loop(code.i64(0), t) { j in
                    let key = row(kPointer, kColumn, j)
                    var s = dot(query, key, d)
                    if let tableIndex {
                        let r = code.smin(code.smax(code.sub(i, j), code.i64(-radius)), code.i64(radius))
                        let position = code.sext(code.load(code.i32, a[tableIndex], code.add(r, radius)))
                        let positionOffset = code.add(code.mul(position, width), head)
                        if let posKeyIndex {
                            s = code.fadd(s, dot(query, code.gep(code.f32, a[posKeyIndex], positionOffset), d))
                        }
                        if let posQueryIndex {
                            s = code.fadd(s, dot(key, code.gep(code.f32, a[posQueryIndex], positionOffset), d))
                        }
                    }
                    s = code.fmul(s, code.f32(scale))
                    let v = code.select(masked(a[maskIndex], tokens, queryMask, j), code.f32(-.greatestFiniteMagnitude), s)
                    code.store(v, code.f32, scores, j)
                }
                softmaxRow(scores, scores, length: t)
                let target = code.gep(code.f32, a[out], code.add(code.mul(code.add(tokens, i), width), head))
                code.loop(d) { c in code.store(code.f32(0), code.f32, target, c) }
                code.loop(code.i64(0), t) { j in
                    let p = code.load(code.f32, scores, j)
                    let value = row(vPointer, vColumn, j)
                    code.loop(d) { c in
                        code.store(code.fadd(code.load(code.f32, target, c), code.fmul(p, code.load(code.f32, value, c))),
                                   code.f32, target, c)
                    }
                }
            }
        }
    }
}
