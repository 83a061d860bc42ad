import DebertacIR
import DebertacPasses

/// Where every value of the graph lives while the forward pass runs, and which ops run
/// kernels, from the memory planner's `MemoryPlan` (DebertacPasses, docs/passes.md).
///
/// - Graph inputs are the caller's arrays (fields of the runtime's `debertac_exec`).
/// - Constants (checkpoint weights and tensors computed by `fold-constants`) live in the
///   weights payload; `prefix_rows` / `slice_rows` are views (a static row offset, no copy).
/// - The graph's output is written straight into the caller's logits array.
/// - Every planned value lives in its alias group's arena slot. The runtime lays the slots
///   out when a session is created, with the planner's layout function
///   (`MemoryPlan.layout(maxBatch:maxLength:)`, ported as `layout_buffers` in
///   debertac_runtime.c), at the session's maximum batch and length.
///
/// The graph must be folded: weights-only ops other than views must have become constants
/// (`Backend` runs `fold-constants` first, which is a no-op on an optimised graph).
struct ExecutionPlan {
    /// Where a value lives.
    enum Storage: Equatable {
        /// A field of the runtime's exec record.
        case input(ExecField)
        /// The weights payload entry for this source.
        case weights(WeightsLayout.Source)
        /// The arena slot of alias group `buffer`.
        case arena(buffer: Int)
        /// Another value's storage plus a static byte offset (row views).
        indirect case view(Storage, byteOffset: Int)
        /// The caller's logits array.
        case logits

        /// The storage a view points into (itself for anything else).
        var root: Storage {
            if case let .view(base, _) = self { return base.root }
            return self
        }
    }

    /// One arena slot: an alias group of the memory plan (mirrors `debertac_buffer_desc`).
    struct Buffer: Equatable {
        /// Size in bytes per unit of `B^batchPower · T^lengthPower`.
        var bytes: Int
        var batchPower: Int
        var lengthPower: Int
        /// First and last program indices at which it is live (inclusive).
        var firstUse: Int
        var lastUse: Int
    }

    /// Storage of every live value.
    private(set) var storage: [ValueID: Storage] = [:]
    /// For row views, the value whose storage they view (constants need its type).
    private(set) var viewed: [ValueID: ValueID] = [:]
    /// Ops that run a kernel, in program order.
    private(set) var schedule: [OpID] = []
    /// Arena slots, indexed by alias group.
    private(set) var buffers: [Buffer] = []
    /// The planner's table, kept for reports.
    let memory: MemoryPlan

    init(graph: Graph) throws(BackendError) {
        memory = MemoryPlan.build(for: graph)
        for input in graph.inputs {
            let name = graph.name(of: input)
            guard let field = ExecField(inputName: name) else {
                throw .unsupportedOp(value: name, op: "input", reason: "unknown graph input, expected input_ids, attention_mask or token_type_ids")
            }
            storage[input] = .input(field)
        }
        guard graph.outputs.count == 1, let output = graph.outputs.first, graph.definingOp(of: output) != nil,
              graph.type(of: output).element == .f32 else {
            throw .unsupportedOp(value: graph.name, op: "return", reason: "expected a single f32 result computed by an op")
        }

        // Alias groups become arena slots.
        var group: [String: Int] = [:]
        for b in memory.buffers {
            group[b.value] = b.group
            if b.group == buffers.count {
                buffers.append(Buffer(bytes: b.bytes, batchPower: b.batchPower, lengthPower: b.seqPower,
                                      firstUse: b.firstOp, lastUse: b.lastOp))
            } else {
                buffers[b.group].bytes = max(buffers[b.group].bytes, b.bytes)
                buffers[b.group].firstUse = min(buffers[b.group].firstUse, b.firstOp)
                buffers[b.group].lastUse = max(buffers[b.group].lastUse, b.lastOp)
            }
        }

        for (id, op) in graph.orderedOps {
            let result = op.result
            let name = graph.name(of: result)
            switch op.kind {
            case .constant:
                guard let tensor = op.constantName else {
                    throw .unsupportedOp(value: name, op: "constant", reason: "missing tensor name")
                }
                storage[result] = .weights(.tensor(tensor))
            case .prefixRows:
                storage[result] = storage[op.operands[0]]
                viewed[result] = viewed[op.operands[0]] ?? op.operands[0]
            case .sliceRows:
                let width = graph.type(of: op.operands[0]).shape[1].staticSize ?? 0
                let start = op.attributes["start"]?.intValue ?? 0
                storage[result] = .view(storage[op.operands[0]]!, byteOffset: start * width * 4)
                viewed[result] = viewed[op.operands[0]] ?? op.operands[0]
            default:
                if result == output {
                    storage[result] = .logits
                } else if let g = group[name] {
                    storage[result] = .arena(buffer: g)
                } else {
                    throw .unsupportedOp(value: name, op: op.kind.rawValue,
                                         reason: "weights-only op left unfolded (run fold-constants first)")
                }
                schedule.append(id)
            }
        }
    }
}

/// The fields of the runtime's `debertac_exec` record (debertac_runtime.h), by index.
enum ExecField: Int, CaseIterable {
    case weights = 0, arena, bufferOffsets, inputIds, attentionMask, tokenTypeIds, logits, batch, length, pool, parallelFor

    /// The field holding the graph input `name`.
    init?(inputName: String) {
        switch inputName {
        case "input_ids": self = .inputIds
        case "attention_mask": self = .attentionMask
        case "token_type_ids": self = .tokenTypeIds
        default: return nil
        }
    }

    /// Whether the field is an i64 (else a pointer).
    var isInteger: Bool { self == .batch || self == .length }
}
