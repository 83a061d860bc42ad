import DebertacIR

/// Why the interpreter refused inputs or could not run a graph.
///
/// The first group of cases comes from `InferenceInput` (parsing and validating what a
/// user passes to a model; the compiled runtime reports the same conditions). The second
/// comes from `Interpreter` itself (binding tensors to a graph and evaluating it).
/// Messages are lowercase, name the field, value or tensor in quotes, and say what was
/// expected; `description` is what the CLI prints after `error: `.
public enum InterpreterError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: Inference inputs

    /// The input text is not JSON; `offset` is the byte offset of the problem.
    case invalidJSON(offset: Int, message: String)
    /// The JSON is well formed but not shaped like an inference input: a missing or
    /// unknown field, or a value of the wrong kind. `field` is empty for the document itself.
    case malformedInput(field: String, row: Int?, column: Int?, message: String)
    /// `field` has no rows (batch size 0).
    case emptyBatch(field: String)
    /// Row `row` of `field` has no tokens (sequence length 0).
    case emptySequence(field: String, row: Int)
    /// `field` has `rows` rows where `input_ids` has `expected`.
    case rowCountMismatch(field: String, rows: Int, expected: Int)
    /// Row `row` of `field` has `length` entries where `reference` has `expected`.
    case raggedRow(field: String, row: Int, length: Int, expected: Int, reference: String)
    /// The sequence length exceeds the model's `max_position_embeddings`.
    case sequenceTooLong(length: Int, maximum: Int)
    /// Entry `[row][column]` of `field` is `value`; `expected` describes the valid values.
    case valueOutOfRange(field: String, row: Int, column: Int, value: Int, expected: String)
    /// Row `row` of `attention_mask` masks its first token, which the classifier head reads.
    case maskedFirstToken(row: Int)

    // MARK: Graph execution

    /// The graph does not verify; the interpreter only runs verified graphs.
    case invalidGraph(String)
    /// The graph input `name` was not given.
    case missingInput(name: String, expected: TensorType)
    /// A tensor was given for `name`, which is not an input of the graph.
    case unexpectedInput(name: String)
    /// The tensor given for input `name` does not fit its declared type.
    case inputMismatch(name: String, given: String, expected: TensorType)
    /// Two inputs disagree on the size of the symbol `symbol` (`B` or `T`).
    case inconsistentDimension(symbol: String, name: String, size: Int, boundBy: String, boundSize: Int)
    /// The graph uses the symbol `symbol` but no input determines its size.
    case unboundSymbol(symbol: String, value: String)
    /// The constant provider could not supply the tensor `name`.
    case constantUnavailable(name: String, message: String)
    /// The constant provider returned `given` for a constant declared as `expected`.
    case constantMismatch(name: String, given: String, expected: TensorType)
    /// Evaluating the op that defines `value` met index `index` in operand `operand`,
    /// outside `[0, limit)`.
    case indexOutOfRange(value: String, operand: String, index: Int, limit: Int)
    /// `prefix_rows` defining `value` needs `length` rows of a table that has `rows`.
    case tableTooShort(value: String, length: Int, rows: Int)
    /// A requested value name does not exist in the graph.
    case unknownValue(name: String)
    /// The interpreter computed a result that disagrees with the op's declared type: a
    /// debertac bug, reported rather than crashing.
    case internalError(String)

    public var description: String {
        switch self {
        case let .invalidJSON(offset, message):
            return "input is not valid json: \(message) at byte \(offset)"
        case let .malformedInput(field, row, column, message):
            if field.isEmpty { return "input \(message)" }
            return "\(InterpreterError.place(field, row, column)) \(message)"
        case let .emptyBatch(field):
            return "'\(field)' has no rows, expected a batch of at least one sequence"
        case let .emptySequence(field, row):
            return "'\(field)' row \(row) is empty, expected at least one token"
        case let .rowCountMismatch(field, rows, expected):
            return "'\(field)' has \(rows) rows, expected \(expected) like 'input_ids'"
        case let .raggedRow(field, row, length, expected, reference):
            return "'\(field)' row \(row) has \(length) entries, expected \(expected) like \(reference)"
        case let .sequenceTooLong(length, maximum):
            return "sequence length \(length) exceeds 'max_position_embeddings' (\(maximum))"
        case let .valueOutOfRange(field, row, column, value, expected):
            return "\(InterpreterError.place(field, row, column)) is \(value), expected \(expected)"
        case let .maskedFirstToken(row):
            return "'attention_mask' row \(row) masks its first token, expected 1 there (the classifier reads token 0)"
        case let .invalidGraph(message):
            return "the graph does not verify: \(message)"
        case let .missingInput(name, expected):
            return "input '\(name)' (\(expected)) was not given"
        case let .unexpectedInput(name):
            return "input '\(name)' is not an input of the graph"
        case let .inputMismatch(name, given, expected):
            return "input '\(name)' is \(given), expected \(expected)"
        case let .inconsistentDimension(symbol, name, size, boundBy, boundSize):
            return "input '\(name)' has \(symbol) = \(size), but '\(boundBy)' has \(symbol) = \(boundSize)"
        case let .unboundSymbol(symbol, value):
            return "value '\(value)' uses \(symbol), which no graph input determines"
        case let .constantUnavailable(name, message):
            return "constant '\(name)' is unavailable: \(message)"
        case let .constantMismatch(name, given, expected):
            return "constant '\(name)' is \(given), expected \(expected)"
        case let .indexOutOfRange(value, operand, index, limit):
            return "computing '\(value)': operand '\(operand)' holds index \(index), expected a value in [0, \(limit))"
        case let .tableTooShort(value, length, rows):
            return "computing '\(value)': sequence length \(length) exceeds the \(rows) rows of the table"
        case let .unknownValue(name):
            return "value '\(name)' does not exist in the graph"
        case let .internalError(message):
            return "internal error: \(message)"
        }
    }

    /// `'input_ids' row 1 column 3`, `'input_ids' row 1`, or `'input_ids'`.
    private static func place(_ field: String, _ row: Int?, _ column: Int?) -> String {
        var text = "'\(field)'"
        if let row { text += " row \(row)" }
        if let column { text += " column \(column)" }
        return text
    }
}
