#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise ops: activations, `add` / `mul` with numpy broadcasting, `scale`, `mask_rows`.
extension Kernels {
    // MARK: - Activations (the op table's summaries, and transformers' activations.py)

    /// Exact GELU, `x · Φ(x) = 0.5 · x · (1 + erf(x / √2))`: ACT2FN "gelu" is
    /// `torch.nn.functional.gelu` without approximation, which computes exactly this.
    static func gelu(_ x: Float) -> Float {
        0.5 * x * (1 + erff(x * Float(0.5.squareRoot())))
    }

    /// Tanh-approximated GELU, transformers' `NewGELUActivation`:
    /// `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`.
    static func geluTanh(_ x: Float) -> Float {
        let inner = Float((2.0 / Double.pi).squareRoot()) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + tanhf(inner))
    }

    /// `max(x, 0)`.
    static func relu(_ x: Float) -> Float { max(x, 0) }

    /// `tanh(x)`.
    static func tanh(_ x: Float) -> Float { tanhf(x) }

    /// `1 / (1 + exp(−x))`.
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    /// `x · sigmoid(x)` (ACT2FN "silu", "swish").
    static func silu(_ x: Float) -> Float { x * sigmoid(x) }

    /// `x · sigmoid(1.702 · x)`, transformers' `QuickGELUActivation`.
    static func quickGelu(_ x: Float) -> Float { x * sigmoid(1.702 * x) }

    /// `f` applied to every element of the f32 tensor `x`.
    static func map(_ x: HostTensor, _ f: (Float) -> Float) -> HostTensor {
        HostTensor(shape: x.shape, floats: x.floats.map(f))
    }

    // MARK: - Arithmetic

    /// `a + b` with numpy broadcasting, for f32 or i32 operands (both of the same type).
    static func add(_ a: HostTensor, _ b: HostTensor) -> HostTensor {
        switch (a.storage, b.storage) {
        case let (.f32(x), .f32(y)):
            let (values, shape) = broadcast(x, a.shape, y, b.shape, +)
            return HostTensor(shape: shape, floats: values)
        case let (.i32(x), .i32(y)):
            let (values, shape) = broadcast(x, a.shape, y, b.shape, &+)
            return HostTensor(shape: shape, ints: values)
        default:
            preconditionFailure("add of \(a) and \(b): the verifier requires equal element types")
        }
    }

    /// `a · b` with numpy broadcasting, for f32 or i32 operands (both of the same type).
    static func mul(_ a: HostTensor, _ b: HostTensor) -> HostTensor {
        switch (a.storage, b.storage) {
        case let (.f32(x), .f32(y)):
            let (values, shape) = broadcast(x, a.shape, y, b.shape, *)
            return HostTensor(shape: shape, floats: values)
        case let (.i32(x), .i32(y)):
            let (values, shape) = broadcast(x, a.shape, y, b.shape, &*)
            return HostTensor(shape: shape, ints: values)
        default:
            preconditionFailure("mul of \(a) and \(b): the verifier requires equal element types")
        }
    }

    /// `x · factor`. The factor is an f64 attribute, rounded once to f32 as torch does when
    /// it multiplies a float tensor by a Python float.
    static func scale(_ x: HostTensor, factor: Double) -> HostTensor {
        let f = Float(factor)
        return map(x) { $0 * f }
    }

    /// `x[..., t, :] · mask[..., t]`: every row of the last axis scaled by its i32 mask
    /// entry (HF multiplies by the mask converted to float; with 0/1 masks, rows are kept
    /// or zeroed).
    static func maskRows(_ x: HostTensor, mask: HostTensor) -> HostTensor {
        let values = x.floats, m = mask.ints
        let width = x.shape.last ?? 1
        var out = [Float](repeating: 0, count: values.count)
        for row in 0..<m.count {
            let factor = Float(m[row])
            for c in 0..<width { out[row * width + c] = values[row * width + c] * factor }
        }
        return HostTensor(shape: x.shape, floats: out)
    }

    /// Numpy broadcasting: shapes are aligned at their last axes, and each pair of
    /// dimensions must be equal or contain a 1 (which repeats). Returns the values and shape.
    static func broadcast<T>(
        _ a: [T], _ aShape: [Int], _ b: [T], _ bShape: [Int], _ f: (T, T) -> T
    ) -> ([T], [Int]) {
        if aShape == bShape { return (zip(a, b).map(f), aShape) }
        let rank = max(aShape.count, bShape.count)
        let pa = [Int](repeating: 1, count: rank - aShape.count) + aShape
        let pb = [Int](repeating: 1, count: rank - bShape.count) + bShape
        let shape = zip(pa, pb).map { x, y in
            precondition(x == y || x == 1 || y == 1, "shapes \(aShape) and \(bShape) do not broadcast")
            return x == 1 ? y : x
        }
        // Strides of each operand within the result's index space: 0 along repeated axes.
        let sa = zip(pa, HostTensor.strides(of: pa)).map { $0 == 1 ? 0 : $1 }
        let sb = zip(pb, HostTensor.strides(of: pb)).map { $0 == 1 ? 0 : $1 }
        let count = HostTensor.count(of: shape)
        var out: [T] = []
        out.reserveCapacity(count)
        var index = [Int](repeating: 0, count: rank)
        var ia = 0, ib = 0
        for _ in 0..<count {
            out.append(f(a[ia], b[ib]))
            // Advance the multi-index like an odometer, keeping both offsets in step.
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                ia += sa[axis]
                ib += sb[axis]
                if index[axis] < shape[axis] { break }
                ia -= sa[axis] * shape[axis]
                ib -= sb[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return (out, shape)
    }
}
