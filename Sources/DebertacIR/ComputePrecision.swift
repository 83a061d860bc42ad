/// The arithmetic a model's matrix products are compiled in (`debertac compile --precision`,
/// docs/precision.md). `fp32` everywhere by default; with `bf16` or `int8` the pass
/// `assign-precision` marks the per-token `linear` ops with constant weights
/// (`{precision = "bf16"}`), and the backend compiles those in that arithmetic. Everything else
/// (layer norm, softmax, activations, the attention's products, the head) stays fp32.
public enum ComputePrecision: String, CaseIterable, Sendable {
    case fp32, bf16, int8

    /// The precisions below fp32, which `linear`'s `precision` attribute names.
    public static let reduced: [ComputePrecision] = [.bf16, .int8]
}
