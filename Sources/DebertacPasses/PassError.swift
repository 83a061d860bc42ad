/// Why a pipeline could not be built or run. Messages are lowercase and name the pass,
/// value or file in quotes; `description` is what the driver prints after `error: `.
public enum PassError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `--passes` or `--disable-pass` named a pass that does not exist.
    case unknownPass(name: String, known: [String])
    /// The graph did not verify after `pass` (or, with `pass` = "input", before the first).
    case verificationFailed(pass: String, diagnostics: String)
    /// `pass` built an op the op table rejects: a debertac bug, reported rather than crashing.
    case invalidRewrite(pass: String, value: String, message: String)
    /// `pass` failed for a reason of its own (an error that is not a `PassError`).
    case passFailed(pass: String, message: String)
    /// Evaluating the weights-only op defining `value` at compile time failed.
    case foldingFailed(pass: String, value: String, message: String)
    /// An IR dump or output file could not be written.
    case cannotWrite(path: String, message: String)

    public var description: String {
        switch self {
        case let .unknownPass(name, known):
            return "unknown pass '\(name)', expected one of: \(known.joined(separator: ", "))"
        case let .verificationFailed(pass, diagnostics):
            if pass == "input" { return "the input graph does not verify:\n\(diagnostics)" }
            return "the graph does not verify after pass '\(pass)':\n\(diagnostics)"
        case let .invalidRewrite(pass, value, message):
            return "internal error: pass '\(pass)' built an invalid op for '\(value)': \(message)"
        case let .passFailed(pass, message):
            return "pass '\(pass)' failed: \(message)"
        case let .foldingFailed(pass, value, message):
            return "pass '\(pass)' could not evaluate '\(value)' at compile time: \(message)"
        case let .cannotWrite(path, message):
            return "cannot write '\(path)': \(message)"
        }
    }
}
