/// Why a configuration (or its checkpoint) cannot be turned into a graph.
///
/// Messages are lowercase, name the config field or tensor in quotes, and say what was
/// expected; `description` is what the CLI prints after `error: `.
public enum GraphBuildError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An activation name (`hidden_act`, `conv_act`, `pooler_hidden_act`) that debertac
    /// does not implement.
    case unsupportedActivation(field: String, value: String)
    /// A config value the reference cannot run, or that debertac refuses; `reason` says why.
    case unsupportedConfig(field: String, value: String, reason: String)
    /// The checkpoint lacks tensors the graph needs, or has them with other shapes or
    /// non-floating-point dtypes. All problems are listed.
    case tensorMismatch([TensorProblem])
    /// The builder produced a graph that does not verify: a debertac bug, reported rather
    /// than crashing.
    case invalidGraph(String)

    /// One problem with one checkpoint tensor.
    public enum TensorProblem: Hashable, Sendable, CustomStringConvertible {
        /// The graph needs tensor `name` with shape `expected`; the checkpoint lacks it.
        case missing(name: String, expected: [Int])
        /// Tensor `name` has `shape` where the configuration implies `expected`.
        case shape(name: String, shape: [Int], expected: [Int])
        /// Tensor `name` has an integer or boolean dtype.
        case notFloat(name: String, dtype: String)

        /// One line, e.g. `tensor 'classifier.bias' with shape [3] is missing`.
        public var description: String {
            switch self {
            case let .missing(name, expected):
                "tensor '\(name)' with shape \(expected) is missing"
            case let .shape(name, shape, expected):
                "tensor '\(name)' has shape \(shape), expected \(expected)"
            case let .notFloat(name, dtype):
                "tensor '\(name)' has dtype \(dtype), expected a floating-point type"
            }
        }
    }

    /// The message the CLI prints after `error: `.
    public var description: String {
        switch self {
        case let .unsupportedActivation(field, value):
            "field '\(field)' is '\(value)': unsupported activation (supported: \(Activation.supportedNames.map { "'\($0)'" }.joined(separator: ", ")))"
        case let .unsupportedConfig(field, value, reason):
            "field '\(field)' is \(value): \(reason)"
        case let .tensorMismatch(problems):
            (["checkpoint tensors do not match the graph:"] + problems.map { "  \($0)" }).joined(separator: "\n")
        case let .invalidGraph(message):
            "internal error: the built graph does not verify: \(message)"
        }
    }
}
