/// Identifies a value of a `Graph` (a graph input or an op result). Stable across edits:
/// removing other values never renumbers it.
public struct ValueID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Index into the graph's value table.
    public let rawValue: Int
    /// Creation order.
    public static func < (lhs: ValueID, rhs: ValueID) -> Bool { lhs.rawValue < rhs.rawValue }
    /// `v<n>`, for debugging (the IR text uses value names).
    public var description: String { "v\(rawValue)" }
}

/// Identifies an operation of a `Graph`. Stable across edits, like `ValueID`.
public struct OpID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Index into the graph's op table.
    public let rawValue: Int
    /// Creation order (not program order: see `Graph.position(of:)`).
    public static func < (lhs: OpID, rhs: OpID) -> Bool { lhs.rawValue < rhs.rawValue }
    /// `op<n>`, for debugging.
    public var description: String { "op\(rawValue)" }
}

/// A position in IR text: 1-based line and column (columns count UTF-8 bytes).
public struct IRLocation: Hashable, Sendable, CustomStringConvertible {
    /// Line, from 1.
    public let line: Int
    /// Column in UTF-8 bytes, from 1.
    public let column: Int
    /// A location from its line and column.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    /// `line:column`.
    public var description: String { "\(line):\(column)" }
}

/// Where a value comes from.
public enum ValueDefinition: Hashable, Sendable {
    /// The graph input at this index of `Graph.inputs`.
    case input(Int)
    /// The result of this op.
    case op(OpID)
}

/// A value: an SSA tensor with a unique, readable name.
public struct Value: Sendable {
    /// Name without the `%`; matches `[A-Za-z0-9_.]+` and is unique in the graph.
    public internal(set) var name: String
    /// Its tensor type.
    public internal(set) var type: TensorType
    /// The input or op that defines it.
    public internal(set) var definition: ValueDefinition
    /// Where it was defined in IR text, if it was parsed.
    public internal(set) var location: IRLocation?
}

/// One operation: `%result = kind(operands) {attributes} : type`.
public struct Op: Sendable {
    /// What it computes.
    public internal(set) var kind: OpKind
    /// Operand values, in the order the op table declares them.
    public internal(set) var operands: [ValueID]
    /// Attributes, sorted by name.
    public internal(set) var attributes: Attributes
    /// The single value it defines.
    public let result: ValueID
    /// Where it was written in IR text, if it was parsed.
    public internal(set) var location: IRLocation?

    /// The tensor name of a `constant` (checkpoint name or computed-constant name), else nil.
    public var constantName: String? {
        kind == .constant ? attributes["name"]?.stringValue : nil
    }
}

/// One use of a value.
public enum Use: Hashable, Sendable {
    /// Operand `index` of `op`.
    case operand(op: OpID, index: Int)
    /// Position `index` in the graph's `return`.
    case output(index: Int)
}

/// A typed SSA graph: inputs, a list of ops in program order, and outputs.
///
/// Every op has one result; every value has a unique name. The graph itself enforces only
/// name uniqueness and that IDs exist: types, shapes and def-before-use are the
/// verifier's job (`verify()`), so that a pass may leave the graph temporarily invalid
/// while it rewrites it.
public struct Graph: Sendable {
    /// Graph name, printed as `graph @name(...)`.
    public var name: String
    /// Graph inputs, in signature order.
    public private(set) var inputs: [ValueID] = []
    /// Values returned by the graph, in order.
    public private(set) var outputs: [ValueID] = []
    /// Ops in program order.
    public private(set) var ops: [OpID] = []

    private var valueTable: [Value?] = []
    private var opTable: [Op?] = []
    private var nameIndex: [String: ValueID] = [:]

    /// An empty graph.
    public init(name: String) { self.name = name }

    // MARK: - Lookup

    /// The value `id` (which must exist).
    public subscript(value id: ValueID) -> Value {
        guard let value = valueTable[id.rawValue] else { preconditionFailure("value \(id) was removed") }
        return value
    }

    /// The op `id` (which must exist).
    public subscript(op id: OpID) -> Op {
        guard let op = opTable[id.rawValue] else { preconditionFailure("op \(id) was removed") }
        return op
    }

    /// Whether `value` exists (was created and not removed).
    public func contains(value id: ValueID) -> Bool {
        id.rawValue >= 0 && id.rawValue < valueTable.count && valueTable[id.rawValue] != nil
    }

    /// Whether `op` exists (was created and not removed).
    public func contains(op id: OpID) -> Bool {
        id.rawValue >= 0 && id.rawValue < opTable.count && opTable[id.rawValue] != nil
    }

    /// Ops in program order, with their IDs.
    public var orderedOps: [(id: OpID, op: Op)] { ops.map { ($0, self[op: $0]) } }

    /// Every live value, inputs first, then op results in program order.
    public var values: [ValueID] { inputs + ops.map { self[op: $0].result } }

    /// The value named `name` (without `%`), if any.
    public func value(named name: String) -> ValueID? { nameIndex[name] }

    /// The name of `value`.
    public func name(of value: ValueID) -> String { self[value: value].name }

    /// The type of `value`.
    public func type(of value: ValueID) -> TensorType { self[value: value].type }

    /// The op that defines `value`, or nil for a graph input.
    public func definingOp(of value: ValueID) -> OpID? {
        if case let .op(id) = self[value: value].definition { return id }
        return nil
    }

    /// Every use of `value`: operands in program order, then outputs.
    public func uses(of value: ValueID) -> [Use] {
        var uses: [Use] = []
        for id in ops {
            for (index, operand) in self[op: id].operands.enumerated() where operand == value {
                uses.append(.operand(op: id, index: index))
            }
        }
        for (index, output) in outputs.enumerated() where output == value {
            uses.append(.output(index: index))
        }
        return uses
    }

    /// Index of `op` in program order.
    public func position(of op: OpID) -> Int? { ops.firstIndex(of: op) }

    /// `base` if no value has that name, else `base.1`, `base.2`, ... whichever is free first.
    public func uniqueName(_ base: String) -> String {
        if nameIndex[base] == nil { return base }
        var n = 1
        while nameIndex["\(base).\(n)"] != nil { n += 1 }
        return "\(base).\(n)"
    }

    // MARK: - Construction

    /// Appends a graph input. `name` must be unused.
    @discardableResult
    public mutating func addInput(name: String, type: TensorType, location: IRLocation? = nil) -> ValueID {
        let id = newValue(Value(name: name, type: type, definition: .input(inputs.count), location: location))
        inputs.append(id)
        return id
    }

    /// Appends an op at the end of the program and returns its result. The result type is
    /// taken as given: run the verifier (or use `GraphBuilder`, which infers it).
    @discardableResult
    public mutating func append(
        _ kind: OpKind, _ operands: [ValueID], attributes: Attributes = Attributes(),
        type: TensorType, name: String, location: IRLocation? = nil
    ) -> ValueID {
        insert(kind, operands, attributes: attributes, type: type, name: name, at: ops.count, location: location)
    }

    /// Inserts an op at `position` in program order (0 = first) and returns its result.
    @discardableResult
    public mutating func insert(
        _ kind: OpKind, _ operands: [ValueID], attributes: Attributes = Attributes(),
        type: TensorType, name: String, at position: Int, location: IRLocation? = nil
    ) -> ValueID {
        precondition(position >= 0 && position <= ops.count, "insert position \(position) out of range")
        let opID = OpID(rawValue: opTable.count)
        let result = newValue(Value(name: name, type: type, definition: .op(opID), location: location))
        opTable.append(Op(kind: kind, operands: operands, attributes: attributes, result: result, location: location))
        ops.insert(opID, at: position)
        return result
    }

    /// Sets the values the graph returns.
    public mutating func setOutputs(_ values: [ValueID]) {
        for value in values { precondition(valueTable[value.rawValue] != nil, "output \(value) does not exist") }
        outputs = values
    }

    private mutating func newValue(_ value: Value) -> ValueID {
        precondition(nameIndex[value.name] == nil, "value name '\(value.name)' is already defined")
        let id = ValueID(rawValue: valueTable.count)
        valueTable.append(value)
        nameIndex[value.name] = id
        return id
    }

    // MARK: - Editing

    /// Replaces every use of `old` (operands and outputs) with `new`.
    public mutating func replaceAllUses(of old: ValueID, with new: ValueID) {
        for id in ops {
            var op = self[op: id]
            guard op.operands.contains(old) else { continue }
            op.operands = op.operands.map { $0 == old ? new : $0 }
            opTable[id.rawValue] = op
        }
        outputs = outputs.map { $0 == old ? new : $0 }
    }

    /// Sets operand `index` of `op` to `value`.
    public mutating func setOperand(_ op: OpID, _ index: Int, to value: ValueID) {
        opTable[op.rawValue]!.operands[index] = value  // `self[op:]` has checked existence
    }

    /// Replaces all operands of `op`.
    public mutating func setOperands(_ op: OpID, _ operands: [ValueID]) {
        _ = self[op: op]
        opTable[op.rawValue]!.operands = operands
    }

    /// Replaces the attributes of `op`.
    public mutating func setAttributes(_ op: OpID, _ attributes: Attributes) {
        _ = self[op: op]
        opTable[op.rawValue]!.attributes = attributes
    }

    /// Changes the op kind of `op` (e.g. a pass turning `gelu` into `gelu_tanh`).
    public mutating func setKind(_ op: OpID, _ kind: OpKind) {
        _ = self[op: op]
        opTable[op.rawValue]!.kind = kind
    }

    /// Changes the type of `value`; the verifier checks it against its uses.
    public mutating func setType(_ value: ValueID, _ type: TensorType) {
        _ = self[value: value]
        valueTable[value.rawValue]!.type = type
    }

    /// Renames `value`. `newName` must be unused.
    public mutating func rename(_ value: ValueID, to newName: String) {
        let old = self[value: value].name
        guard old != newName else { return }
        precondition(nameIndex[newName] == nil, "value name '\(newName)' is already defined")
        nameIndex[old] = nil
        nameIndex[newName] = value
        valueTable[value.rawValue]!.name = newName
    }

    /// Moves `op` to `position` in program order (positions as after its removal).
    public mutating func move(_ op: OpID, to position: Int) {
        guard let current = self.position(of: op) else { preconditionFailure("op \(op) was removed") }
        ops.remove(at: current)
        precondition(position >= 0 && position <= ops.count, "move position \(position) out of range")
        ops.insert(op, at: position)
    }

    /// Removes `op` and its result. The result must have no uses left.
    public mutating func removeOp(_ op: OpID) {
        let result = self[op: op].result
        precondition(uses(of: result).isEmpty, "removing op \(op) whose result '\(name(of: result))' is still used")
        ops.removeAll { $0 == op }
        nameIndex[self[value: result].name] = nil
        opTable[op.rawValue] = nil
        valueTable[result.rawValue] = nil
    }

    /// Removes every op whose result is unused, repeatedly; returns how many were removed.
    @discardableResult
    public mutating func removeDeadOps() -> Int {
        var removed = 0
        var changed = true
        while changed {
            changed = false
            var used = Set(outputs)
            for id in ops { used.formUnion(self[op: id].operands) }
            for id in ops.reversed() where !used.contains(self[op: id].result) {
                removeOp(id)
                removed += 1
                changed = true
            }
        }
        return removed
    }
}
