/// Why the backend could not produce an output. Messages are lowercase, name the thing in
/// quotes and say what was expected; `description` is what the driver prints after `error: `.
public enum BackendError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The graph holds an op the backend has no kernel for (or in a form it cannot lower).
    case unsupportedOp(value: String, op: String, reason: String)
    /// A constant's data could not be read or does not match its declared type.
    case constantUnavailable(name: String, message: String)
    /// LLVM rejected the target triple, CPU or features.
    case target(String)
    /// LLVM's verifier rejected the generated module: a debertac bug.
    case invalidModule(String)
    /// LLVM failed to optimise or emit.
    case llvm(String)
    /// Reading or writing a file failed.
    case io(path: String, message: String)
    /// An external tool (the C compiler, assembler or linker) failed.
    case toolFailed(command: String, status: Int32, output: String)

    public var description: String {
        switch self {
        case let .unsupportedOp(value, op, reason):
            return "cannot compile '\(value)' (\(op)): \(reason)"
        case let .constantUnavailable(name, message):
            return "constant '\(name)' is unavailable: \(message)"
        case let .target(message):
            return "invalid target: \(message)"
        case let .invalidModule(message):
            return "internal error: the generated LLVM module does not verify: \(message)"
        case let .llvm(message):
            return "llvm: \(message)"
        case let .io(path, message):
            return "cannot write '\(path)': \(message)"
        case let .toolFailed(command, status, output):
            let trimmed = output.count > 4000 ? String(output.suffix(4000)) : output
            return "'\(command)' failed with status \(status)\(trimmed.isEmpty ? "" : ":\n" + trimmed)"
        }
    }
}
