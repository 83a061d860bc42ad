import DebertacFrontend

/// Supplies the data of the graph's `constant` ops, by the tensor name the op carries.
///
/// Constants are weights: checkpoint tensors today, and compiler-computed tensors (folded
/// position projections, transposed layouts) once passes add them. Keeping the source
/// behind a protocol lets a pass's output run on the interpreter by layering a table of
/// computed constants over the checkpoint (`LayeredConstants`).
public protocol ConstantProvider {
    /// The tensor named `name`, as f32 (or i32) row-major data with its concrete shape.
    /// The interpreter checks the result against the constant's declared type.
    func constant(named name: String) throws -> HostTensor

    /// The checkpoint record `name` is served from unchanged, if any (nil for computed or
    /// in-memory tensors). Lets the backend stream a large tensor from the mapped file in
    /// chunks instead of converting it whole, and know its stored dtype without reading it.
    func checkpointRecord(named name: String) -> TensorRecord?
}

extension ConstantProvider {
    public func checkpointRecord(named name: String) -> TensorRecord? { nil }
}

/// The constants of a loaded checkpoint: each tensor converted to fp32 on first use
/// (`TensorRecord.floats()`, exact for F16/BF16) and, if `caching`, kept for later runs;
/// without caching, the tensor's mapped pages are dropped after conversion (`releasePages`).
public final class CheckpointConstants: ConstantProvider {
    /// The checkpoint whose tensors are served.
    public let checkpoint: Checkpoint
    /// Whether converted tensors are kept (costs fp32 memory for every weight, saves
    /// converting again on the next run).
    public let caching: Bool
    private var cache: [String: HostTensor] = [:]

    /// Serves the tensors of `checkpoint`.
    public init(checkpoint: Checkpoint, caching: Bool = true) {
        self.checkpoint = checkpoint
        self.caching = caching
    }

    public func constant(named name: String) throws -> HostTensor {
        if let cached = cache[name] { return cached }
        guard let record = checkpoint.tensor(named: name) else {
            throw InterpreterError.constantUnavailable(name: name, message: "the checkpoint has no tensor of that name")
        }
        let tensor: HostTensor
        do {
            tensor = HostTensor(shape: record.shape, floats: try record.floats())
            // Without a cache the caller streams tensors (the backend writing the payload):
            // the mapped bytes, read once, need not stay in the resident set.
            if !caching { record.releasePages() }
        } catch {
            throw InterpreterError.constantUnavailable(name: name, message: "\(error)")
        }
        if caching { cache[name] = tensor }
        return tensor
    }

    public func checkpointRecord(named name: String) -> TensorRecord? { checkpoint.tensor(named: name) }
}

/// Constants held in memory by name: hand-written test graphs and compiler-computed tensors.
public struct ConstantTable: ConstantProvider {
    /// The tensors, by constant name.
    public var tensors: [String: HostTensor]

    /// A table of `tensors`.
    public init(_ tensors: [String: HostTensor] = [:]) { self.tensors = tensors }

    public func constant(named name: String) throws -> HostTensor {
        guard let tensor = tensors[name] else {
            throw InterpreterError.constantUnavailable(name: name, message: "no tensor of that name in the table")
        }
        return tensor
    }
}

/// `overrides` first, then `base`: computed constants layered over checkpoint weights.
public struct LayeredConstants: ConstantProvider {
    /// Consulted first.
    public var overrides: ConstantTable
    /// Consulted for names `overrides` does not have.
    public var base: any ConstantProvider

    public init(overrides: ConstantTable, base: any ConstantProvider) {
        self.overrides = overrides
        self.base = base
    }

    public func constant(named name: String) throws -> HostTensor {
        if let tensor = overrides.tensors[name] { return tensor }
        return try base.constant(named: name)
    }

    public func checkpointRecord(named name: String) -> TensorRecord? {
        overrides.tensors[name] != nil ? nil : base.checkpointRecord(named: name)
    }
}
