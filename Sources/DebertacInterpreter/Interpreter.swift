import DebertacIR

/// The reference interpreter: runs a verified `Graph` on the CPU in fp32, one op at a
/// time in program order, exactly as the op table (`OpKind.info.summary`) defines each op.
///
/// It is the semantics oracle for optimisation passes and the LLVM backend, so it favours
/// obviousness over speed: every op has its own kernel (`Kernels`), every intermediate is
/// materialised, and reductions are accumulated at least as precisely as torch does.
///
///     let graph = try DebertaGraphBuilder.build(checkpoint: checkpoint)
///     let interpreter = try Interpreter(graph: graph, constants: CheckpointConstants(checkpoint: checkpoint))
///     try input.validate(config: checkpoint.config)
///     let logits = try interpreter.run(input)[0]          // [B, num_labels]
///
/// Inputs are bound by name; their shapes determine the symbols `B` and `T`. Values are
/// freed after their last use unless requested.
public struct Interpreter {
    /// The graph, verified by `init`.
    public let graph: Graph
    /// Where `constant` ops get their data.
    public let constants: any ConstantProvider
    /// For each value, the program position of the last op that reads it (or that
    /// defines it, when nothing reads it), so it can be dropped afterwards.
    private let lastUse: [ValueID: Int]

    /// Prepares to run `graph`, which must verify.
    public init(graph: Graph, constants: any ConstantProvider) throws(InterpreterError) {
        do {
            try graph.verify()
        } catch {
            throw .invalidGraph(error.description)
        }
        self.graph = graph
        self.constants = constants
        var lastUse: [ValueID: Int] = [:]
        for (position, entry) in graph.orderedOps.enumerated() {
            lastUse[entry.op.result] = position
            for operand in entry.op.operands { lastUse[operand] = position }
        }
        self.lastUse = lastUse
    }

    /// Runs the graph and returns its outputs, in the order of its `return`.
    public func run(inputs: [String: HostTensor]) throws(InterpreterError) -> [HostTensor] {
        let names = graph.outputs.map { graph.name(of: $0) }
        let values = try run(inputs: inputs, values: names)
        return names.map { values[$0]! }  // `run` returns every requested name
    }

    /// Runs the graph and returns the values named `names` (without `%`): outputs, inputs
    /// or any intermediate such as `hidden.3`.
    public func run(inputs: [String: HostTensor], values names: [String]) throws(InterpreterError) -> [String: HostTensor] {
        var requested = Set<ValueID>()
        for name in names {
            guard let id = graph.value(named: name) else { throw .unknownValue(name: name) }
            requested.insert(id)
        }

        var bindings = SymbolBindings()
        var environment: [ValueID: HostTensor] = [:]
        for id in graph.inputs {
            let name = graph.name(of: id)
            guard let tensor = inputs[name] else { throw .missingInput(name: name, expected: graph.type(of: id)) }
            try bindings.bind(input: name, type: graph.type(of: id), to: tensor)
            environment[id] = tensor
        }
        let inputNames = Set(graph.inputs.map { graph.name(of: $0) })
        if let extra = inputs.keys.sorted().first(where: { !inputNames.contains($0) }) {
            throw .unexpectedInput(name: extra)
        }

        for (position, entry) in graph.orderedOps.enumerated() {
            let op = entry.op
            let operands = op.operands.map { environment[$0]! }  // verified: defined before use, freed only after last use
            let result = try evaluate(op, operands, bindings)
            try check(result, of: op, bindings)
            environment[op.result] = result
            for value in op.operands + [op.result] where lastUse[value] == position && !requested.contains(value) {
                environment[value] = nil
            }
        }

        var results: [String: HostTensor] = [:]
        for id in requested { results[graph.name(of: id)] = environment[id] }
        return results
    }

    /// Runs the graph on a batch of token ids (validate it with `validate(config:)` first).
    /// `token_type_ids` is passed only if the graph declares it.
    public func run(_ input: InferenceInput) throws(InterpreterError) -> [HostTensor] {
        try run(inputs: graphInputs(for: input))
    }

    /// Runs the graph on a batch of token ids and returns the values named `names`.
    public func run(_ input: InferenceInput, values names: [String]) throws(InterpreterError) -> [String: HostTensor] {
        try run(inputs: graphInputs(for: input), values: names)
    }

    /// The tensors of `input` that this graph takes.
    private func graphInputs(for input: InferenceInput) throws(InterpreterError) -> [String: HostTensor] {
        let declared = Set(graph.inputs.map { graph.name(of: $0) })
        return try input.tensors.filter { declared.contains($0.key) }
    }

    /// Throws if `result` does not have the concrete shape and element type of the op's
    /// declared type: that would be an interpreter bug, caught at the op that caused it.
    private func check(_ result: HostTensor, of op: Op, _ bindings: SymbolBindings) throws(InterpreterError) {
        let name = graph.name(of: op.result)
        let type = graph.type(of: op.result)
        let shape = try bindings.shape(of: type, value: name)
        guard result.shape == shape, result.element == type.element else {
            throw .internalError("'\(op.kind)' computed \(result) for '\(name)', declared \(type)")
        }
    }
}
