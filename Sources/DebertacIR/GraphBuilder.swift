extension OpKind {
    /// The result type of this op applied to operands of `operandTypes` with `attributes`:
    /// checks the operand count and the attribute set, then runs the op table's type rule.
    /// `declared` is the type a `constant` is given (other ops ignore it).
    public func resultType(
        operandTypes: [TensorType], attributes: Attributes, declared: TensorType? = nil
    ) throws(TypeRuleError) -> TensorType {
        let info = self.info
        guard info.operandCount.contains(operandTypes.count) else {
            throw TypeRuleError("'\(info.name)' takes \(Graph.countDescription(info.operandCount)), found \(operandTypes.count)")
        }
        for spec in info.attributes {
            if spec.isOptional && attributes[spec.name] == nil { continue }
            guard let value = attributes[spec.name], value.kind == spec.kind else {
                throw TypeRuleError("'\(info.name)' needs attribute '\(spec.name)' (\(spec.kind))")
            }
            if let expected = spec.constraint.violation(value) {
                throw TypeRuleError("attribute '\(spec.name)' is \(value), expected \(expected)")
            }
        }
        let allowed = Set(info.attributes.map(\.name))
        if let extra = attributes.names.first(where: { !allowed.contains($0) }) {
            throw TypeRuleError("unknown attribute '\(extra)' for '\(info.name)'")
        }
        return try info.typeRule(TypeRuleInput(operands: operandTypes, attributes: attributes,
                                               declared: declared ?? TensorType([], .f32)))
    }
}

/// Programmatic construction of IR, shared by the DeBERTa builder and by passes: emits
/// ops at an insertion point and infers each result type from the op table, so a
/// mis-typed op is caught where it is created rather than by a later `verify()`.
public struct GraphBuilder: Sendable {
    /// The graph being built or rewritten.
    public var graph: Graph
    /// Program position of the next emitted op; nil appends at the end.
    public var insertionPoint: Int?
    /// `constant` results by tensor name, so each weight is declared once.
    private var constants: [String: ValueID] = [:]

    /// Starts an empty graph named `name`.
    public init(name: String) { graph = Graph(name: name) }

    /// Continues editing `graph`, appending at the end; existing constants are reused.
    public init(graph: Graph) {
        self.graph = graph
        for id in graph.ops {
            let op = graph[op: id]
            if let tensor = op.constantName, constants[tensor] == nil { constants[tensor] = op.result }
        }
    }

    /// Makes the next ops go right before `op`.
    public mutating func setInsertionPoint(before op: OpID) {
        insertionPoint = graph.position(of: op)
    }

    /// Makes the next ops go right after `op`.
    public mutating func setInsertionPoint(after op: OpID) {
        insertionPoint = graph.position(of: op).map { $0 + 1 }
    }

    /// Adds a graph input.
    @discardableResult
    public mutating func input(_ name: String, _ type: TensorType) -> ValueID {
        graph.addInput(name: name, type: type)
    }

    /// Emits `kind(operands) {attributes}` named `name` (made unique if taken) and returns
    /// its result, typed by the op's rule. Throws if the operands or attributes do not fit.
    @discardableResult
    public mutating func emit(
        _ kind: OpKind, _ operands: [ValueID], _ attributes: Attributes = Attributes(),
        name: String, declared: TensorType? = nil
    ) throws(TypeRuleError) -> ValueID {
        let type = try kind.resultType(operandTypes: operands.map { graph.type(of: $0) },
                                       attributes: attributes, declared: declared)
        let unique = graph.uniqueName(name)
        guard let position = insertionPoint else {
            return graph.append(kind, operands, attributes: attributes, type: type, name: unique)
        }
        insertionPoint = position + 1
        return graph.insert(kind, operands, attributes: attributes, type: type, name: unique, at: position)
    }

    /// The `constant` for tensor `tensorName` with `type`, emitted (as `name`) on first
    /// request and reused afterwards.
    public mutating func constant(_ tensorName: String, _ type: TensorType, name: String) throws(TypeRuleError) -> ValueID {
        if let existing = constants[tensorName] {
            guard graph.type(of: existing) == type else {
                throw TypeRuleError("constant '@\(tensorName)' was declared as \(graph.type(of: existing)), requested as \(type)")
            }
            return existing
        }
        let value = try emit(.constant, [], ["name": .string(tensorName)], name: name, declared: type)
        constants[tensorName] = value
        return value
    }

    /// Sets the graph outputs.
    public mutating func output(_ values: [ValueID]) { graph.setOutputs(values) }
}
