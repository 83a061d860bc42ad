import DebertacInterpreter
import DebertacFrontend

/// The data of a graph's constants, by tensor name: checkpoint weights plus the tensors
/// that passes compute (folded position projections, scaled and merged weights, the
/// relative-position table).
///
/// It extends the interpreter's `ConstantProvider` rather than duplicating it: the
/// checkpoint side is any provider (usually `CheckpointConstants`), computed tensors sit
/// in a `ConstantTable` layered on top (as `LayeredConstants` does), and the store itself
/// is a provider, so the interpreter and the backend read a pass's output through it.
///
/// `base` is nil when only IR text is known (`debertac opt FILE.ir`, `compile
/// --config-only`): then only computed constants have data, and passes that need weights
/// skip the ops that would read them (`hasData(for:)`).
public final class ConstantStore: ConstantProvider {
    /// Checkpoint weights, or nil when their data is unknown.
    public let base: (any ConstantProvider)?
    /// Tensors computed by passes, by constant name (names start with `fold.`).
    public private(set) var computed = ConstantTable()

    /// A store over `base` with no computed tensors yet.
    public init(base: (any ConstantProvider)?) { self.base = base }

    /// The tensor named `name`: a computed one first, else the checkpoint's.
    public func constant(named name: String) throws -> HostTensor {
        if let tensor = computed.tensors[name] { return tensor }
        guard let base else {
            throw InterpreterError.constantUnavailable(name: name, message: "no checkpoint was given, so its data is unknown")
        }
        return try base.constant(named: name)
    }

    /// The checkpoint record of `name`; nil for a computed tensor.
    public func checkpointRecord(named name: String) -> TensorRecord? {
        computed.tensors[name] != nil ? nil : base?.checkpointRecord(named: name)
    }

    /// Whether `constant(named:)` can be expected to succeed: `name` was computed, or a
    /// checkpoint is present (which the graph builder has checked for every weight).
    public func hasData(for name: String) -> Bool {
        computed.tensors[name] != nil || base != nil
    }

    /// Whether `name` is a tensor computed by a pass.
    public func isComputed(_ name: String) -> Bool { computed.tensors[name] != nil }

    /// Stores `tensor` as the computed constant `name`, replacing any previous one.
    public func store(_ tensor: HostTensor, as name: String) {
        computed.tensors[name] = tensor
    }

    /// Drops the computed tensor `name`, if any.
    public func removeComputed(_ name: String) {
        computed.tensors[name] = nil
    }

    /// Drops computed tensors whose names are not in `names` (those no longer referenced
    /// by the graph); returns how many bytes that freed.
    @discardableResult
    public func retainComputed(only names: Set<String>) -> Int {
        var freed = 0
        for (name, tensor) in computed.tensors where !names.contains(name) {
            freed += tensor.count * 4
            computed.tensors[name] = nil
        }
        return freed
    }

    /// Total bytes of the computed tensors (4 bytes per element).
    public var computedBytes: Int { computed.tensors.values.reduce(0) { $0 + $1.count * 4 } }
}
