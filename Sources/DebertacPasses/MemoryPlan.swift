import DebertacIR

/// Where every intermediate tensor of a graph lives: the table the backend's runtime lays
/// out in one arena when a session is created (docs/passes.md, "Memory planning").
///
/// The plan is data, not offsets: each buffer's size is `bytes · B^batchPower · T^seqPower`,
/// so one compiled model can serve any maximum batch and length. `layout(maxBatch:maxLength:)`
/// (`MemoryLayout.swift`) turns the table into offsets for given maxima; a layout computed
/// at the maxima is valid for every smaller B and T, because every buffer then uses a
/// prefix of its slot. The C runtime ports that function; the two must agree byte for byte.
///
/// Planned values are op results that depend on a graph input (weights-only values are
/// constants, or become constants once folded). Graph inputs live in the caller's memory.
public struct MemoryPlan: Sendable, Equatable {
    /// One planned value.
    public struct Buffer: Sendable, Equatable {
        /// The value's name, without `%`.
        public let value: String
        /// Element size times the product of the static dimensions, in bytes.
        public let bytes: Int
        /// How many dimensions are `B` (the size is multiplied by `B` that many times).
        public let batchPower: Int
        /// How many dimensions are `T`.
        public let seqPower: Int
        /// Program index (position in `Graph.ops`) of the op that writes it.
        public let firstOp: Int
        /// Program index of the last op that reads it; `opCount` for graph outputs, which
        /// must survive the last op.
        public let lastOp: Int
        /// Alias group: buffers of one group share one slot, because an op wrote its result
        /// in place over the previous member (op table's `inPlaceOperands`). Groups are
        /// numbered from 0 in order of their first member.
        public let group: Int

        /// A buffer from its table row.
        public init(value: String, bytes: Int, batchPower: Int, seqPower: Int, firstOp: Int, lastOp: Int, group: Int) {
            self.value = value
            self.bytes = bytes
            self.batchPower = batchPower
            self.seqPower = seqPower
            self.firstOp = firstOp
            self.lastOp = lastOp
            self.group = group
        }

        /// The size in bytes for batch `batch` and length `length`.
        public func size(batch: Int, length: Int) -> Int {
            var size = bytes
            for _ in 0..<batchPower { size *= batch }
            for _ in 0..<seqPower { size *= length }
            return size
        }

        /// `6144·B·T`, `96·B·T²`.
        public var formula: String {
            var text = "\(bytes)"
            if batchPower > 0 { text += "·B" + (batchPower > 1 ? "^\(batchPower)" : "") }
            if seqPower == 1 { text += "·T" } else if seqPower == 2 { text += "·T²" } else if seqPower > 2 { text += "·T^\(seqPower)" }
            return text
        }
    }

    /// The planned values, in program order of their defining ops.
    public let buffers: [Buffer]
    /// Number of ops in the graph (program indices are `0 ..< opCount`).
    public let opCount: Int
    /// Number of alias groups (`group` values are `0 ..< groupCount`).
    public var groupCount: Int { (buffers.map(\.group).max() ?? -1) + 1 }

    /// A plan from its table (e.g. read back by a test or another tool).
    public init(buffers: [Buffer], opCount: Int) {
        self.buffers = buffers
        self.opCount = opCount
    }

    /// Computes liveness and in-place aliasing for `graph`.
    ///
    /// A buffer lives from the op that writes it to the last op that reads it, both
    /// inclusive, so an op's operands and result never share memory unless the op writes in
    /// place. An op writes in place over operand n (the first such n in its
    /// `inPlaceOperands`) when that operand is a planned buffer of the result's type, is not
    /// a graph output, and this op is its last reader; the result then joins the operand's group.
    public static func build(for graph: Graph) -> MemoryPlan {
        let weightsOnly = graph.weightsOnlyValues()
        let order = graph.ops
        let outputs = Set(graph.outputs)
        var lastUse: [ValueID: Int] = [:]
        for (position, id) in order.enumerated() {
            for operand in graph[op: id].operands { lastUse[operand] = position }
        }
        for output in graph.outputs { lastUse[output] = order.count }

        var buffers: [Buffer] = []
        var index: [ValueID: Int] = [:]   // value → buffer
        var groupCount = 0
        for (position, id) in order.enumerated() {
            let op = graph[op: id]
            guard op.kind != .constant, !weightsOnly.contains(op.result) else { continue }
            let type = graph.type(of: op.result)
            var group: Int?
            for n in op.kind.info.inPlaceOperands where n < op.operands.count {
                let operand = op.operands[n]
                if let buffer = index[operand], graph.type(of: operand) == type, !outputs.contains(operand),
                   lastUse[operand] == position {
                    group = buffers[buffer].group
                    break
                }
            }
            if group == nil {
                group = groupCount
                groupCount += 1
            }
            var bytes = 4  // f32 and i32
            var batchPower = 0, seqPower = 0
            for dim in type.shape {
                switch dim {
                case let .fixed(n): bytes *= n
                case .batch: batchPower += 1
                case .seq: seqPower += 1
                }
            }
            index[op.result] = buffers.count
            buffers.append(Buffer(value: graph.name(of: op.result), bytes: bytes, batchPower: batchPower, seqPower: seqPower,
                                  firstOp: position, lastOp: lastUse[op.result] ?? position, group: group!))
        }
        return MemoryPlan(buffers: buffers, opCount: order.count)
    }
}
