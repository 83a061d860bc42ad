/// Why a call into a compiled model failed: the C ABI's status and the message the model gave
/// (`debertac_session_last_error` or `debertac_open_error`), or why the .so could not be loaded.
///
/// `description` is what a command-line host prints: `"out of range: batch size 9 exceeds the
/// session's maximum batch (8)"`.
public struct DebertacError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `debertac_status` other than `DEBERTAC_OK` (include/debertac.h), or `cannotLoad`.
    public enum Status: Sendable, Hashable, CustomStringConvertible {
        /// The .so could not be loaded: `dlopen` failed, it is not a debertac model (a symbol is
        /// missing), or its ABI version is newer than this library knows. Not a C status.
        case cannotLoad
        /// `DEBERTAC_INVALID_ARGUMENT`: a NULL pointer, a size below 1, a bad mask, invalid UTF-8,
        /// a text call on a model without a tokenizer, ...
        case invalidArgument
        /// `DEBERTAC_OUT_OF_RANGE`: a token id outside the vocabulary, a batch or length above the
        /// session's (or the model's) maximum.
        case outOfRange
        /// `DEBERTAC_OUT_OF_MEMORY`.
        case outOfMemory
        /// `DEBERTAC_IO_ERROR`: external weights missing, unreadable or not this .so's.
        case ioError
        /// `DEBERTAC_INTERNAL_ERROR`.
        case internalError
        /// `DEBERTAC_UNSUPPORTED_CPU` (ABI 3): the CPU lacks instructions the model was compiled to use.
        case unsupportedCPU
        /// A status this library does not know (from a .so of a later minor revision).
        case unknown(Int32)

        /// The status of C value `raw` (which is not `DEBERTAC_OK`).
        init(raw: Int32) {
            switch raw {
            case 1: self = .invalidArgument
            case 2: self = .outOfRange
            case 3: self = .outOfMemory
            case 4: self = .ioError
            case 5: self = .internalError
            case 6: self = .unsupportedCPU
            default: self = .unknown(raw)
            }
        }

        /// The C value, or -1 for `cannotLoad`.
        public var rawValue: Int32 {
            switch self {
            case .cannotLoad: -1
            case .invalidArgument: 1
            case .outOfRange: 2
            case .outOfMemory: 3
            case .ioError: 4
            case .internalError: 5
            case .unsupportedCPU: 6
            case let .unknown(raw): raw
            }
        }

        /// `debertac_status_string`'s words: `"invalid argument"`, ...; `"cannot load"`.
        public var description: String {
            switch self {
            case .cannotLoad: "cannot load"
            case .invalidArgument: "invalid argument"
            case .outOfRange: "out of range"
            case .outOfMemory: "out of memory"
            case .ioError: "i/o error"
            case .internalError: "internal error"
            case .unsupportedCPU: "unsupported cpu"
            case let .unknown(raw): "unknown status \(raw)"
            }
        }
    }

    /// What kind of failure.
    public let status: Status
    /// The model's words for it (lowercase, naming the argument); for `cannotLoad`, which file
    /// and why. May be empty.
    public let message: String

    /// An error with `status` and `message`.
    public init(status: Status, message: String) {
        self.status = status
        self.message = message
    }

    /// A `cannotLoad` error: `cannot load 'PATH': REASON`.
    static func cannotLoad(_ path: String, _ reason: String) -> DebertacError {
        DebertacError(status: .cannotLoad, message: "cannot load '\(path)': \(reason)")
    }

    /// `"STATUS: MESSAGE"`; for `cannotLoad` the message alone, which names the file.
    public var description: String {
        if status == .cannotLoad { return message }
        return message.isEmpty ? status.description : "\(status): \(message)"
    }
}
