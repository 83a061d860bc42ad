import DebertacIR
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Kernels of the ops that optimisation passes create (docs/passes.md). Each computes
/// exactly what the unfused ops it replaces compute, in the same order of operations, so
/// a fused graph agrees with the original to fp32 rounding (and usually bit for bit).
extension Kernels {
    /// `rel_bucket_table() {buckets, max_position, radius, span}`:
    /// `table[r + radius] = clamp(bucket(r) + span, 0, 2 · span − 1)` for `r` in `−radius ... radius`.
    static func relBucketTable(buckets: Int, maxPosition: Int, radius: Int, span: Int) -> HostTensor {
        let values = (-radius...radius).map { r in
            Int32(RelativePosition.index(query: r, key: 0, buckets: buckets, maxPosition: maxPosition, span: span))
        }
        return HostTensor(shape: [2 * radius + 1], ints: values)
    }

    /// `concat_rows(a, b, c?)`: the operands stacked along their first axis.
    static func concatRows(_ parts: [HostTensor]) -> HostTensor {
        let shape = [parts.reduce(0) { $0 + $1.shape[0] }] + parts[0].shape.dropFirst()
        switch parts[0].storage {
        case .f32: return HostTensor(shape: shape, floats: parts.flatMap(\.floats))
        case .i32: return HostTensor(shape: shape, ints: parts.flatMap(\.ints))
        }
    }

    /// The scalar function of the activation op `kind` (one of `OpKind.activations`).
    static func activation(_ kind: OpKind) -> ((Float) -> Float)? {
        switch kind {
        case .gelu: gelu
        case .geluTanh: geluTanh
        case .relu: relu
        case .tanh: tanh
        case .sigmoid: sigmoid
        case .silu: silu
        case .quickGelu: quickGelu
        default: nil
        }
    }

    /// `add_layer_norm(a, b, gamma, beta, mask?) {eps}`: `layer_norm(a + b)`, rows then
    /// multiplied by `mask` when given; the same three kernels as the unfused ops.
    static func addLayerNorm(_ a: HostTensor, _ b: HostTensor, gamma: HostTensor, beta: HostTensor,
                             mask: HostTensor?, eps: Double) -> HostTensor {
        let normed = layerNorm(add(a, b), gamma: gamma, beta: beta, eps: eps)
        return mask.map { maskRows(normed, mask: $0) } ?? normed
    }

    /// `disentangled_attention` and `disentangled_attention_qkv`, one `(b, h)` block at a time.
    ///
    /// For each block it forms the `[T, T]` content scores `S = Q·Kᵀ`, and for the position
    /// terms only the rows of `pos_key` / `pos_query` that length T can reach: with
    /// `idx(i, j) = rel_table[clamp(i − j, −R, R) + R]`, the reachable rows are
    /// `lo ... hi`, the extremes of `idx` over `i − j` in `−(T−1) ... T−1` (at most `2T − 1`
    /// rows, since bucketing is monotone in `i − j`). It computes `C = Q·Pk[lo...hi]ᵀ` and
    /// `D = K·Pq[lo...hi]ᵀ` (`[T, hi − lo + 1]` each) and adds `C[i, idx − lo]` and
    /// `D[j, idx − lo]`: no `[B, H, T, T]` c2p or p2c tensor exists at any time. Then scale,
    /// mask and softmax as `masked_softmax`, and `P·V` into head h's columns.
    ///
    /// `content` holds q, k, v: three `[B, T, H·d]` tensors, or one `[B, T, 3·H·d]` tensor
    /// whose column blocks are q, k, v.
    static func disentangledAttention(
        content: [HostTensor], mask: HostTensor, posKey: HostTensor?, posQuery: HostTensor?, table: HostTensor?,
        heads: Int, scale: Double
    ) throws(IndexOutOfRange) -> HostTensor {
        let batch = content[0].shape[0], length = content[0].shape[1]
        let packed = content.count == 1
        let rowStride = content[0].shape[2]                 // H·d, or 3·H·d when packed
        let width = packed ? rowStride / 3 : rowStride      // H·d
        let d = width / heads
        let arrays = packed ? [content[0].floats] : content.map(\.floats)
        // (array, column offset) of q, k, v.
        let q = (arrays[0], 0), k = (arrays[packed ? 0 : 1], packed ? width : 0), v = (arrays[packed ? 0 : 2], packed ? 2 * width : 0)

        // Reachable relative positions and the rows they index.
        var rel = [Int](repeating: 0, count: max(2 * length - 1, 1))  // rel[i − j + T − 1]
        var lo = 0, hi = -1
        if let table {
            let entries = table.ints, radius = (table.shape[0] - 1) / 2
            let rows = (posKey ?? posQuery)!.shape[0]
            try checkIndices(entries, limit: rows, operand: "rel_table")
            lo = Int.max
            hi = Int.min
            for r in -(length - 1)...(length - 1) {
                let index = Int(entries[min(max(r, -radius), radius) + radius])
                rel[r + length - 1] = index
                lo = min(lo, index)
                hi = max(hi, index)
            }
        }
        let reach = hi - lo + 1
        let m = mask.ints
        let factor = Float(scale)
        var out = [Float](repeating: 0, count: batch * length * width)
        var scores = [Float](repeating: 0, count: length * length)
        var c2p = [Float](repeating: 0, count: posKey == nil ? 0 : length * reach)
        var p2c = [Float](repeating: 0, count: posQuery == nil ? 0 : length * reach)
        var exps = [Float](repeating: 0, count: length)
        for b in 0..<batch {
            let rowBase = b * length * rowStride
            for h in 0..<heads {
                gemm(q.0, offset: q.1 + rowBase + h * d, ld: rowStride, k.0, offset: k.1 + rowBase + h * d, ld: rowStride,
                     transposeB: true, into: &scores, offset: 0, ld: length, m: length, n: length, k: d)
                if let posKey {
                    gemm(q.0, offset: q.1 + rowBase + h * d, ld: rowStride, posKey.floats, offset: lo * width + h * d, ld: width,
                         transposeB: true, into: &c2p, offset: 0, ld: reach, m: length, n: reach, k: d)
                }
                if let posQuery {
                    gemm(k.0, offset: k.1 + rowBase + h * d, ld: rowStride, posQuery.floats, offset: lo * width + h * d, ld: width,
                         transposeB: true, into: &p2c, offset: 0, ld: reach, m: length, n: reach, k: d)
                }
                for i in 0..<length {
                    let row = i * length
                    for j in 0..<length {
                        var s = scores[row + j]
                        let column = rel[i - j + length - 1] - lo
                        // Same order as the unfused graph: ((c2c + c2p) + p2c) · scale.
                        if !c2p.isEmpty { s += c2p[i * reach + column] }
                        if !p2c.isEmpty { s += p2c[j * reach + column] }
                        s *= factor
                        scores[row + j] = m[b * length + i] &* m[b * length + j] == 0 ? -Float.greatestFiniteMagnitude : s
                    }
                    var maximum = -Float.infinity
                    for j in 0..<length { maximum = max(maximum, scores[row + j]) }
                    var sum = 0.0
                    for j in 0..<length {
                        exps[j] = expf(scores[row + j] - maximum)
                        sum += Double(exps[j])
                    }
                    for j in 0..<length { scores[row + j] = Float(Double(exps[j]) / sum) }
                }
                gemm(scores, offset: 0, ld: length, v.0, offset: v.1 + rowBase + h * d, ld: rowStride,
                     transposeB: false, into: &out, offset: b * length * width + h * d, ld: width, m: length, n: d, k: length)
            }
        }
        return HostTensor(shape: [batch, length, width], floats: out)
    }

}
