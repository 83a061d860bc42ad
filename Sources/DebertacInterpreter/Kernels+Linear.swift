import CBLAS

/// Contractions with a weight: `linear` and `conv1d`, both on OpenBLAS `cblas_sgemm`
/// (fp32 accumulation, as torch's CPU kernels).
extension Kernels {
    /// `linear(x, weight, bias?)`: `y[..., n] = Σ_k x[..., k] · weight[n, k] + bias[n]`.
    /// `weight` is `[N, K]` in torch's `nn.Linear` layout, so this is `Y = X · Wᵀ + b` with
    /// X viewed as `[M, K]`, M the product of the leading dimensions.
    static func linear(_ x: HostTensor, weight: HostTensor, bias: HostTensor?) -> HostTensor {
        let n = weight.shape[0], k = weight.shape[1]
        let m = HostTensor.count(of: Array(x.shape.dropLast()))  // every leading dimension folded into M
        let shape = Array(x.shape.dropLast()) + [n]
        // Start from the bias in every row, then accumulate X · Wᵀ on top (beta = 1).
        var out = [Float](repeating: 0, count: m * n)
        if let bias {
            let b = bias.floats
            for row in 0..<m { for col in 0..<n { out[row * n + col] = b[col] } }
        }
        if m > 0 && n > 0 && k > 0 {
            x.floats.withUnsafeBufferPointer { xp in
                weight.floats.withUnsafeBufferPointer { wp in
                    out.withUnsafeMutableBufferPointer { op in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                                    1, xp.baseAddress, Int32(k), wp.baseAddress, Int32(k),
                                    1, op.baseAddress, Int32(n))
                    }
                }
            }
        }
        return HostTensor(shape: shape, floats: out)
    }

    /// `conv1d(x, weight, bias) {groups, padding}`: torch's `nn.Conv1d` (cross-correlation)
    /// on channels-last input, length-preserving with zero padding:
    ///
    ///     y[b, t, o] = bias[o] + Σ_tap Σ_c x[b, t + tap − padding, g·Cg + c] · weight[o, c, tap]
    ///
    /// where `g = o / (Cout / groups)` is the output channel's group, `Cg = C / groups`, and
    /// rows `t + tap − padding` outside `[0, T)` are zeros. x is `[B, T, C]`, weight
    /// `[Cout, Cg, K]` (torch layout), y `[B, T, Cout]`.
    ///
    /// Computed one tap and one group at a time: the tap's weights are copied into a
    /// contiguous `[Cout/groups, Cg]` matrix, and the rows of x that the tap reads are
    /// multiplied into the rows of y it writes.
    static func conv1d(_ x: HostTensor, weight: HostTensor, bias: HostTensor, groups: Int, padding: Int) -> HostTensor {
        let batch = x.shape[0], length = x.shape[1], channels = x.shape[2]
        let outChannels = weight.shape[0], perGroup = weight.shape[1], kernel = weight.shape[2]
        let outPerGroup = outChannels / groups
        let w = weight.floats, b = bias.floats
        var out = [Float](repeating: 0, count: batch * length * outChannels)
        for row in 0..<(batch * length) {
            for o in 0..<outChannels { out[row * outChannels + o] = b[o] }
        }
        let input = x.floats
        for tap in 0..<kernel {
            // Output rows t whose input row s = t + tap − padding lies inside [0, T).
            let first = max(0, padding - tap)
            let end = min(length, length + padding - tap)
            let rows = end - first
            guard rows > 0, outPerGroup > 0, perGroup > 0 else { continue }
            let shift = tap - padding
            for g in 0..<groups {
                var tapWeights = [Float](repeating: 0, count: outPerGroup * perGroup)
                for o in 0..<outPerGroup {
                    for c in 0..<perGroup {
                        tapWeights[o * perGroup + c] = w[((g * outPerGroup + o) * perGroup + c) * kernel + tap]
                    }
                }
                for bi in 0..<batch {
                    let inOffset = (bi * length + first + shift) * channels + g * perGroup
                    let outOffset = (bi * length + first) * outChannels + g * outPerGroup
                    input.withUnsafeBufferPointer { xp in
                        tapWeights.withUnsafeBufferPointer { wp in
                            out.withUnsafeMutableBufferPointer { op in
                                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                                            Int32(rows), Int32(outPerGroup), Int32(perGroup),
                                            1, xp.baseAddress! + inOffset, Int32(channels),
                                            wp.baseAddress, Int32(perGroup),
                                            1, op.baseAddress! + outOffset, Int32(outChannels))
                            }
                        }
                    }
                }
            }
        }
        return HostTensor(shape: [batch, length, outChannels], floats: out)
    }
}
