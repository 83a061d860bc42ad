/// The textual form of a graph (grammar in docs/ir.md). `Graph.parse` reads it back:
/// print → parse → print is the identity.
extension Graph: CustomStringConvertible {
    /// The first line of every printed graph.
    public static let header = "// debertac IR"

    /// The graph as IR text, ending with a newline.
    public var description: String { printed() }

    /// The graph as IR text, ending with a newline. Values print under their names, ops in
    /// program order, attributes sorted by name, constants by name and type only.
    public func printed() -> String {
        var out = Graph.header + "\n"
        let params = inputs.map { "%\(name(of: $0)): \(type(of: $0))" }.joined(separator: ", ")
        out += "graph @\(Graph.symbol(name))(\(params)) -> \(resultSignature) {\n"
        for id in ops {
            out += "  " + printed(op: id) + "\n"
        }
        out += "  return" + (outputs.isEmpty ? "" : " " + outputs.map { "%\(name(of: $0))" }.joined(separator: ", ")) + "\n"
        out += "}\n"
        return out
    }

    /// One op as a line of IR text, without indentation or newline.
    public func printed(op id: OpID) -> String {
        let op = self[op: id]
        let result = "%\(name(of: op.result))"
        let type = type(of: op.result)
        if op.kind == .constant, let tensor = op.constantName {
            var rest = op.attributes
            rest["name"] = nil
            let attrs = rest.isEmpty ? "" : " " + rest.textualForm
            return "\(result) = constant @\(Graph.symbol(tensor))\(attrs) : \(type)"
        }
        let operands = op.operands.map { valueReference($0) }.joined(separator: ", ")
        let attrs = op.attributes.isEmpty ? "" : " " + op.attributes.textualForm
        return "\(result) = \(op.kind.rawValue)(\(operands))\(attrs) : \(type)"
    }

    /// `tensor<...>` for one output, `(tensor<...>, tensor<...>)` otherwise.
    private var resultSignature: String {
        let types = outputs.map { type(of: $0).description }
        return types.count == 1 ? types[0] : "(" + types.joined(separator: ", ") + ")"
    }

    /// `%name`, or `%<removed vN>` for a dangling reference left by a pass (the verifier
    /// reports those; printing must not crash while debugging them).
    private func valueReference(_ id: ValueID) -> String {
        contains(value: id) ? "%\(name(of: id))" : "%<removed \(id)>"
    }

    /// `@name` when the name is a bare symbol (`[A-Za-z0-9_.-]+`), else `@"quoted name"`.
    static func symbol(_ name: String) -> String {
        isBareSymbol(name) ? name : Attribute.quote(name)
    }

    static func isBareSymbol(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { isSymbolByte($0) }
    }

    static func isSymbolByte(_ c: UInt8) -> Bool {
        isValueNameByte(c) || c == UInt8(ascii: "-")
    }

    /// Whether `c` may appear in a value name: `[A-Za-z0-9_.]`.
    static func isValueNameByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
            || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
    }

    /// Whether `name` is a valid value name.
    public static func isValidValueName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { isValueNameByte($0) }
    }
}
