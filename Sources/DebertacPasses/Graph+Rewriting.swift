import DebertacIR

/// Queries and edits that several passes share.
extension Graph {
    /// How many times each value is used: operand slots of ops plus positions in `return`.
    /// Values without uses are absent.
    func useCounts() -> [ValueID: Int] {
        var counts: [ValueID: Int] = [:]
        for id in ops {
            for operand in self[op: id].operands { counts[operand, default: 0] += 1 }
        }
        for output in outputs { counts[output, default: 0] += 1 }
        return counts
    }

    /// The ops that read each value, in program order (an op reading a value twice appears twice).
    func users() -> [ValueID: [OpID]] {
        var users: [ValueID: [OpID]] = [:]
        for id in ops {
            for operand in self[op: id].operands { users[operand, default: []].append(id) }
        }
        return users
    }

    /// The values that depend on no graph input: constants and everything computed from
    /// constants alone ("weights-only" values, which constant folding may evaluate).
    func weightsOnlyValues() -> Set<ValueID> {
        var weightsOnly = Set<ValueID>()
        for id in ops {
            let op = self[op: id]
            // An op without operands depends on nothing at run time, except through its
            // type: `rel_pos_index` is [T, T], so it needs the run's length.
            let static_ = type(of: op.result).staticShape != nil
            if op.operands.allSatisfy({ weightsOnly.contains($0) }) && (static_ || !op.operands.isEmpty) {
                weightsOnly.insert(op.result)
            }
        }
        return weightsOnly
    }

    /// The op defining `value` if it is of `kind`.
    func definingOp(of value: ValueID, kind: OpKind) -> Op? {
        guard let id = definingOp(of: value) else { return nil }
        let op = self[op: id]
        return op.kind == kind ? op : nil
    }

    /// Inserts `kind(operands) {attributes}` at program `position`, typed by the op table,
    /// named `name` (made unique). Throws `PassError.invalidRewrite` if the op table rejects it.
    @discardableResult
    mutating func insert(
        _ kind: OpKind, _ operands: [ValueID], _ attributes: Attributes = Attributes(), name: String,
        at position: Int, declared: TensorType? = nil, pass: String
    ) throws(PassError) -> ValueID {
        let type: TensorType
        do {
            type = try kind.resultType(operandTypes: operands.map { self.type(of: $0) }, attributes: attributes, declared: declared)
        } catch {
            throw .invalidRewrite(pass: pass, value: name, message: error.message)
        }
        return insert(kind, operands, attributes: attributes, type: type, name: uniqueName(name), at: position)
    }

    /// Makes `replacement` take over `old`'s uses and name, then removes the ops in
    /// `dead` (which must have no other uses once `old` is replaced), latest first.
    mutating func replace(_ old: ValueID, with replacement: ValueID, removing dead: [OpID]) {
        let name = self.name(of: old)
        replaceAllUses(of: old, with: replacement)
        let positions = Dictionary(uniqueKeysWithValues: ops.enumerated().map { ($1, $0) })
        for op in Set(dead).sorted(by: { positions[$0]! > positions[$1]! }) { removeOp(op) }
        if value(named: name) == nil { rename(replacement, to: name) }
    }
}
