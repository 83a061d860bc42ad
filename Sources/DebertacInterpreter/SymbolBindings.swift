import DebertacIR

/// The sizes of the symbolic dimensions `B` and `T` for one run, taken from the shapes of
/// the input tensors.
public struct SymbolBindings: Equatable, Sendable {
    /// Batch size, once an input has bound it.
    public private(set) var batch: Int?
    /// Sequence length, once an input has bound it.
    public private(set) var seq: Int?
    /// The input that bound each symbol, for messages.
    private var batchSource = "", seqSource = ""

    /// No symbol bound.
    public init() {}

    /// Binds the symbols of the input `name`, declared as `type`, to the shape of `tensor`:
    /// the element type and rank must match, static dimensions must be equal, and a symbol
    /// already bound by another input must have the same size. Symbols must be ≥ 1.
    mutating func bind(input name: String, type: TensorType, to tensor: HostTensor) throws(InterpreterError) {
        guard tensor.element == type.element, tensor.rank == type.rank else {
            throw .inputMismatch(name: name, given: tensor.description, expected: type)
        }
        for (dim, size) in zip(type.shape, tensor.shape) {
            switch dim {
            case let .fixed(n):
                guard size == n else { throw .inputMismatch(name: name, given: tensor.description, expected: type) }
            case .batch:
                guard size >= 1 else { throw .inputMismatch(name: name, given: tensor.description, expected: type) }
                if let batch, batch != size {
                    throw .inconsistentDimension(symbol: "B", name: name, size: size, boundBy: batchSource, boundSize: batch)
                }
                batch = size
                batchSource = name
            case .seq:
                guard size >= 1 else { throw .inputMismatch(name: name, given: tensor.description, expected: type) }
                if let seq, seq != size {
                    throw .inconsistentDimension(symbol: "T", name: name, size: size, boundBy: seqSource, boundSize: seq)
                }
                seq = size
                seqSource = name
            }
        }
    }

    /// The concrete shape of `type`; `value` names the value for the error when a symbol
    /// is unbound.
    func shape(of type: TensorType, value: String) throws(InterpreterError) -> [Int] {
        var shape: [Int] = []
        for dim in type.shape {
            shape.append(try size(of: dim, value: value))
        }
        return shape
    }

    /// The concrete size of `dim`.
    func size(of dim: Dim, value: String) throws(InterpreterError) -> Int {
        switch dim {
        case let .fixed(n): return n
        case .batch:
            guard let batch else { throw .unboundSymbol(symbol: "B", value: value) }
            return batch
        case .seq:
            guard let seq else { throw .unboundSymbol(symbol: "T", value: value) }
            return seq
        }
    }
}
