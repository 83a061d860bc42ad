#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Disentangled attention: the three score terms, the masked softmax, and the context.
///
/// Layouts: token tensors (q, k, v, context) are `[B, T, H·d]` with head h in columns
/// `h·d ..< (h+1)·d` (HF's `transpose_for_scores` split); position tables (pos_key,
/// pos_query) are `[P, H·d]` split the same way; scores and probabilities are
/// `[B, H, T, T]` (query i, key j); idx is `[T, T]` i32 with values in `[0, P)`.
extension Kernels {
    /// `attention_scores(q, k) {heads}`: `s[b, h, i, j] = q[b, i, h, :] · k[b, j, h, :]`.
    static func attentionScores(q: HostTensor, k: HostTensor, heads: Int) -> HostTensor {
        let batch = q.shape[0], length = q.shape[1], width = q.shape[2]
        let d = width / heads
        var out = [Float](repeating: 0, count: batch * heads * length * length)
        for b in 0..<batch {
            for h in 0..<heads {
                // S_bh = Q_bh · K_bhᵀ, with Q_bh and K_bh the [T, d] column blocks of head h.
                gemm(q.floats, offset: b * length * width + h * d, ld: width,
                     k.floats, offset: b * length * width + h * d, ld: width, transposeB: true,
                     into: &out, offset: (b * heads + h) * length * length, ld: length,
                     m: length, n: length, k: d)
            }
        }
        return HostTensor(shape: [batch, heads, length, length], floats: out)
    }

    /// `c2p_scores(q, pos_key, idx) {heads}`: `s[b, h, i, j] = q[b, i, h, :] · pos_key[idx[i, j], h, :]`.
    ///
    /// As HF does it: all `T × P` products `Q_bh · PKᵀ` first, then a gather along the
    /// position axis (`torch.gather(c2p_att, -1, c2p_pos)`).
    static func c2pScores(q: HostTensor, posKey: HostTensor, idx: HostTensor, heads: Int) throws(IndexOutOfRange) -> HostTensor {
        try relativeScores(content: q, positions: posKey, idx: idx, heads: heads, contentIsQuery: true)
    }

    /// `p2c_scores(k, pos_query, idx) {heads}`: `s[b, h, i, j] = k[b, j, h, :] · pos_query[idx[i, j], h, :]`.
    ///
    /// The same index `idx[i, j]` as c2p: HF gathers `K · PQᵀ` at `clamp(−bucket(j − i) + span)`
    /// and transposes, and bucketing is odd (`bucket(−r) = −bucket(r)`), so the entry it
    /// reads for (i, j) is `clamp(bucket(i − j) + span) = idx[i, j]`.
    static func p2cScores(k: HostTensor, posQuery: HostTensor, idx: HostTensor, heads: Int) throws(IndexOutOfRange) -> HostTensor {
        try relativeScores(content: k, positions: posQuery, idx: idx, heads: heads, contentIsQuery: false)
    }

    /// c2p (`contentIsQuery`: content row i) or p2c (content row j) scores.
    private static func relativeScores(
        content: HostTensor, positions: HostTensor, idx: HostTensor, heads: Int, contentIsQuery: Bool
    ) throws(IndexOutOfRange) -> HostTensor {
        let batch = content.shape[0], length = content.shape[1], width = content.shape[2]
        let d = width / heads, rows = positions.shape[0]
        let index = idx.ints
        try checkIndices(index, limit: rows, operand: "idx")
        var out = [Float](repeating: 0, count: batch * heads * length * length)
        var products = [Float](repeating: 0, count: length * rows)  // [T, P] for one (b, h)
        for b in 0..<batch {
            for h in 0..<heads {
                gemm(content.floats, offset: b * length * width + h * d, ld: width,
                     positions.floats, offset: h * d, ld: width, transposeB: true,
                     into: &products, offset: 0, ld: rows, m: length, n: rows, k: d)
                let base = (b * heads + h) * length * length
                for i in 0..<length {
                    for j in 0..<length {
                        let row = contentIsQuery ? i : j
                        out[base + i * length + j] = products[row * rows + Int(index[i * length + j])]
                    }
                }
            }
        }
        return HostTensor(shape: [batch, heads, length, length], floats: out)
    }

    /// `masked_softmax(s, mask)`: softmax over j of `s[b, h, i, :]`, after setting the
    /// entries with `mask[b, i] · mask[b, j] = 0` to `−Float.greatestFiniteMagnitude`, as
    /// HF's `masked_fill(~mask, finfo.min)` followed by `softmax`.
    ///
    /// The maximum is subtracted before exponentiating. A row whose entries are all masked
    /// (a padded query) thus becomes uniform, as in torch; only real-token rows matter.
    /// `mix_heads(s, weight)`: `out[b, g, i, j] = Σ_h weight[g, h] · s[b, h, i, j]` for
    /// `s [B, H, T, T]` and `weight [H, H]` (torch Linear layout, no bias).
    static func mixHeads(_ s: HostTensor, weight: HostTensor) -> HostTensor {
        let batch = s.shape[0], heads = s.shape[1], plane = s.shape[2] * s.shape[3]
        let x = s.floats, w = weight.floats
        var out = [Float](repeating: 0, count: x.count)
        for b in 0..<batch {
            for g in 0..<heads {
                let target = (b * heads + g) * plane
                for h in 0..<heads {
                    let factor = w[g * heads + h], source = (b * heads + h) * plane
                    for e in 0..<plane { out[target + e] += factor * x[source + e] }
                }
            }
        }
        return HostTensor(shape: s.shape, floats: out)
    }

    static func maskedSoftmax(_ s: HostTensor, mask: HostTensor) -> HostTensor {
        let batch = s.shape[0], heads = s.shape[1], length = s.shape[2]
        var values = s.floats
        let m = mask.ints
        var exps = [Float](repeating: 0, count: length)
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<length {
                    let base = ((b * heads + h) * length + i) * length
                    for j in 0..<length where m[b * length + i] &* m[b * length + j] == 0 {
                        values[base + j] = -Float.greatestFiniteMagnitude
                    }
                    var maximum = -Float.infinity
                    for j in 0..<length { maximum = max(maximum, values[base + j]) }
                    var sum = 0.0
                    for j in 0..<length {
                        exps[j] = expf(values[base + j] - maximum)
                        sum += Double(exps[j])
                    }
                    for j in 0..<length { values[base + j] = Float(Double(exps[j]) / sum) }
                }
            }
        }
        return HostTensor(shape: s.shape, floats: values)
    }

    /// `attention_context(p, v) {heads}`: `c[b, i, h, :] = Σ_j p[b, h, i, j] · v[b, j, h, :]`,
    /// heads merged back into the last axis (`[B, T, H·d]`).
    static func attentionContext(p: HostTensor, v: HostTensor, heads: Int) -> HostTensor {
        let batch = v.shape[0], length = v.shape[1], width = v.shape[2]
        let d = width / heads
        var out = [Float](repeating: 0, count: batch * length * width)
        for b in 0..<batch {
            for h in 0..<heads {
                // C_bh = P_bh · V_bh, written straight into head h's column block.
                gemm(p.floats, offset: (b * heads + h) * length * length, ld: length,
                     v.floats, offset: b * length * width + h * d, ld: width, transposeB: false,
                     into: &out, offset: b * length * width + h * d, ld: width,
                     m: length, n: d, k: length)
            }
        }
        return HostTensor(shape: [batch, length, width], floats: out)
    }
}
