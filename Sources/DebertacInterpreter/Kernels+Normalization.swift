/// `layer_norm`.
extension Kernels {
    /// `layer_norm(x, gamma, beta) {eps}` over the last axis, as `torch.nn.LayerNorm`:
    /// `(x − mean) / sqrt(var + eps) · gamma + beta` with the biased variance (divided by
    /// the width, not width − 1) and eps inside the square root. Mean and variance are
    /// accumulated in f64 (two passes), so the oracle carries no cancellation error.
    static func layerNorm(_ x: HostTensor, gamma: HostTensor, beta: HostTensor, eps: Double) -> HostTensor {
        let values = x.floats, g = gamma.floats, b = beta.floats
        let width = x.shape.last ?? 1
        guard width > 0 else { return x }
        var out = [Float](repeating: 0, count: values.count)
        for row in 0..<(values.count / width) {
            let base = row * width
            var sum = 0.0
            for c in 0..<width { sum += Double(values[base + c]) }
            let mean = sum / Double(width)
            var squares = 0.0
            for c in 0..<width {
                let d = Double(values[base + c]) - mean
                squares += d * d
            }
            let inverseStd = 1 / (squares / Double(width) + eps).squareRoot()
            for c in 0..<width {
                let normalized = (Double(values[base + c]) - mean) * inverseStd
                out[base + c] = Float(normalized * Double(g[c]) + Double(b[c]))
            }
        }
        return HostTensor(shape: x.shape, floats: out)
    }
}
