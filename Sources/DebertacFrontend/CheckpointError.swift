/// Everything that can go wrong while reading a checkpoint or its configuration.
///
/// Each case carries what a user needs to find the problem: the file, the tensor or
/// field name, and the byte offset where it was detected. `description` is the message
/// the CLI prints after `error: `.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened, mapped or listed.
    case io(file: String, message: String)
    /// No checkpoint could be found at a path (e.g. a folder without weights).
    case notFound(path: String, message: String)
    /// The file's first bytes match no checkpoint format we know.
    case unknownFormat(file: String)
    /// The file ends before a structure that it announces.
    case truncated(file: String, offset: Int, what: String)
    /// A structural rule of the format is violated at `offset`.
    case malformed(file: String, offset: Int, message: String)
    /// Invalid JSON at `offset` (safetensors header, config.json, shard index).
    case json(file: String, offset: Int, message: String)
    /// A tensor has an element type we do not know.
    case unknownDType(file: String, tensor: String, dtype: String)
    /// A tensor's bytes fall outside its file, storage, or data section.
    case tensorOutOfBounds(file: String, tensor: String, message: String)
    /// Two tensors claim overlapping bytes of a safetensors data section.
    case overlappingTensors(file: String, first: String, second: String)
    /// A tensor name appears twice (in one file or across shards).
    case duplicateTensor(file: String, tensor: String)
    /// A pickle opcode outside the set that torch state dicts use.
    case unsupportedPickleOpcode(file: String, offset: Int, opcode: UInt8)
    /// A pickle names a Python global that a state dict never needs; loading it could run code.
    case forbiddenPickleGlobal(file: String, offset: Int, module: String, name: String)
    /// A pickle that is well-formed but not a torch state dict.
    case unexpectedPickleContent(file: String, offset: Int, message: String)
    /// A tensor whose data cannot be converted to fp32 (integer type, big-endian storage...).
    case unsupportedTensor(file: String, tensor: String, message: String)
    /// A config.json field with a value we cannot use.
    case config(file: String, field: String, message: String)
    /// The tensors do not match the configuration: all problems are listed at once.
    case tensorSetMismatch(TensorSetReport)

    public var description: String {
        switch self {
        case let .io(file, message):
            "\(quoted(file)): \(message)"
        case let .notFound(path, message):
            "\(quoted(path)): \(message)"
        case let .unknownFormat(file):
            "\(quoted(file)): not a checkpoint (expected safetensors, a PyTorch zip archive, a legacy PyTorch pickle, or a shard index .json)"
        case let .truncated(file, offset, what):
            "\(quoted(file)): truncated at byte \(offset): \(what)"
        case let .malformed(file, offset, message):
            "\(quoted(file)): at byte \(offset): \(message)"
        case let .json(file, offset, message):
            "\(quoted(file)): invalid JSON at byte \(offset): \(message)"
        case let .unknownDType(file, tensor, dtype):
            "\(quoted(file)): tensor \(quoted(tensor)) has unknown dtype \(quoted(dtype))"
        case let .tensorOutOfBounds(file, tensor, message):
            "\(quoted(file)): tensor \(quoted(tensor)): \(message)"
        case let .overlappingTensors(file, first, second):
            "\(quoted(file)): tensors \(quoted(first)) and \(quoted(second)) overlap in the data section"
        case let .duplicateTensor(file, tensor):
            "\(quoted(file)): tensor \(quoted(tensor)) appears more than once"
        case let .unsupportedPickleOpcode(file, offset, opcode):
            "\(quoted(file)): pickle opcode 0x\(String(opcode, radix: 16)) at byte \(offset) is not allowed in a state dict"
        case let .forbiddenPickleGlobal(file, offset, module, name):
            "\(quoted(file)): pickle global '\(module).\(name)' at byte \(offset) is not allowed (only torch state-dict globals are accepted)"
        case let .unexpectedPickleContent(file, offset, message):
            "\(quoted(file)): at pickle byte \(offset): \(message)"
        case let .unsupportedTensor(file, tensor, message):
            "\(quoted(file)): tensor \(quoted(tensor)): \(message)"
        case let .config(file, field, message):
            "\(quoted(file)): field \(quoted(field)): \(message)"
        case let .tensorSetMismatch(report):
            report.description
        }
    }
}

/// `'text'`, the quoting style of every debertac message.
func quoted(_ text: String) -> String { "'\(text)'" }
