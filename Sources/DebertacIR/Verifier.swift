/// One problem found by the verifier.
public struct Diagnostic: Equatable, Sendable, CustomStringConvertible {
    /// Where the offending op or value was written, for parsed graphs.
    public let location: IRLocation?
    /// The printed op line or value, for graphs built in memory (which have no location).
    public let context: String
    /// What is wrong and what was expected, lowercase.
    public let message: String

    /// `line:column: message`, or `in 'context': message` without a location.
    public var description: String {
        if let location { return "\(location): \(message)" }
        return "in '\(context)': \(message)"
    }
}

/// The verifier's findings: every problem in the graph, in program order.
public struct VerificationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// At least one diagnostic.
    public let diagnostics: [Diagnostic]
    /// One diagnostic per line.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

extension Graph {
    /// Checks every invariant a pass may rely on and throws all violations at once:
    /// value names valid; for each op in program order, operands that exist and are defined earlier, the
    /// operand count, the attribute set (names, kinds, constraints), and the result type
    /// against the op's type rule; outputs defined.
    public func verify() throws(VerificationError) {
        let diagnostics = verificationDiagnostics()
        if !diagnostics.isEmpty { throw VerificationError(diagnostics: diagnostics) }
    }

    /// The diagnostics `verify()` would throw; empty for a valid graph.
    public func verificationDiagnostics() -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var defined = Set<ValueID>()

        for id in inputs {
            let value = self[value: id]
            let report = { (message: String) in
                diagnostics.append(Diagnostic(location: value.location, context: "%\(value.name)", message: message))
            }
            if !Graph.isValidValueName(value.name) { report("invalid value name '\(value.name)'") }
            defined.insert(id)
        }

        for id in ops {
            let op = self[op: id]
            let value = self[value: op.result]
            let context = contains(value: op.result) ? printed(op: id) : "\(op.kind)"
            let report = { (message: String) in
                diagnostics.append(Diagnostic(location: op.location, context: context, message: message))
            }
            if !Graph.isValidValueName(value.name) { report("invalid value name '\(value.name)'") }
            if case let .op(definer) = value.definition, definer == id {} else {
                report("result '%\(value.name)' is not recorded as defined by this op")
            }
            defer { defined.insert(op.result) }

            var operandsOK = true
            for (index, operand) in op.operands.enumerated() {
                guard contains(value: operand) else {
                    report("operand \(index) refers to a removed value (\(operand))")
                    operandsOK = false
                    continue
                }
                if !defined.contains(operand) {
                    report("operand '%\(name(of: operand))' is used before its definition")
                    operandsOK = false
                }
            }
            let info = op.kind.info
            if !info.operandCount.contains(op.operands.count) {
                report("'\(info.name)' takes \(Graph.countDescription(info.operandCount)) (\(info.operandNames.joined(separator: ", "))), found \(op.operands.count)")
                operandsOK = false
            }
            var attributesOK = true
            for spec in info.attributes {
                guard let attribute = op.attributes[spec.name] else {
                    if spec.isOptional { continue }
                    report("missing attribute '\(spec.name)' (\(spec.kind))")
                    attributesOK = false
                    continue
                }
                if attribute.kind != spec.kind {
                    report("attribute '\(spec.name)' is \(attribute), expected \(spec.kind)")
                    attributesOK = false
                } else if let expected = spec.constraint.violation(attribute) {
                    report("attribute '\(spec.name)' is \(attribute), expected \(expected)")
                    attributesOK = false
                }
            }
            let declaredNames = Set(info.attributes.map(\.name))
            for name in op.attributes.names where !declaredNames.contains(name) {
                let allowed = info.attributes.isEmpty ? "none" : info.attributes.map { "'\($0.name)'" }.joined(separator: ", ")
                report("unknown attribute '\(name)' for '\(info.name)' (allowed: \(allowed))")
                attributesOK = false
            }
            guard operandsOK, attributesOK else { continue }

            let input = TypeRuleInput(operands: op.operands.map { type(of: $0) }, attributes: op.attributes, declared: value.type)
            do {
                let inferred = try info.typeRule(input)
                if inferred != value.type {
                    report("result type is \(value.type), expected \(inferred)")
                }
            } catch {
                report(error.message)
            }
        }

        for (index, output) in outputs.enumerated() {
            if !contains(value: output) {
                diagnostics.append(Diagnostic(location: nil, context: "return", message: "output \(index) refers to a removed value (\(output))"))
            } else if !defined.contains(output) {
                diagnostics.append(Diagnostic(location: nil, context: "return", message: "output '%\(name(of: output))' is not defined"))
            }
        }
        if outputs.isEmpty {
            diagnostics.append(Diagnostic(location: nil, context: "return", message: "the graph returns nothing"))
        }
        return diagnostics
    }

    static func countDescription(_ range: ClosedRange<Int>) -> String {
        let noun = { (n: Int) in n == 1 ? "operand" : "operands" }
        if range.lowerBound == range.upperBound { return "\(range.lowerBound) \(noun(range.lowerBound))" }
        return "\(range.lowerBound) or \(range.upperBound) operands"
    }
}
