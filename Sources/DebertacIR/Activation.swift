/// How transformers' `ACT2FN` activation names (config fields `hidden_act`, `conv_act`,
/// `pooler_hidden_act`) map to IR ops.
public enum Activation: Equatable, Sendable {
    /// The activation is this unary elementwise op.
    case op(OpKind)
    /// `"linear"`: the identity, no op is emitted.
    case identity

    /// Every supported name and its lowering. The tanh-approximated GELUs all map to
    /// `gelu_tanh`: "gelu_new", "gelu_python_tanh" and "gelu_accurate" are the same
    /// formula, `torch.nn.functional.gelu(approximate="tanh")` ("gelu_pytorch_tanh") is its
    /// C kernel, and "gelu_fast" factors it as x·0.7978845608·(1 + 0.044715·x²); over
    /// [-12, 12] in fp32 they differ from each other by at most 4.8e-7 (rounding only).
    public static let table: [String: Activation] = [
        "gelu": .op(.gelu),
        "gelu_python": .op(.gelu),
        "gelu_new": .op(.geluTanh),
        "gelu_fast": .op(.geluTanh),
        "gelu_pytorch_tanh": .op(.geluTanh),
        "gelu_python_tanh": .op(.geluTanh),
        "gelu_accurate": .op(.geluTanh),
        "relu": .op(.relu),
        "tanh": .op(.tanh),
        "sigmoid": .op(.sigmoid),
        "silu": .op(.silu),
        "swish": .op(.silu),
        "quick_gelu": .op(.quickGelu),
        "linear": .identity,
    ]

    /// The lowering of an `ACT2FN` name, or nil when debertac does not support it
    /// (e.g. "gelu_10", "mish", "relu6", or a name transformers does not know).
    public static func named(_ name: String) -> Activation? { table[name] }

    /// Supported names, sorted, for messages.
    public static var supportedNames: [String] { table.keys.sorted() }
}
