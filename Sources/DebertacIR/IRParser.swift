extension Graph {
    /// Parses IR text (grammar in docs/ir.md) into a graph whose ops and values remember
    /// their line and column.
    ///
    /// The parser checks syntax, op names, value names (defined once, defined before use)
    /// and the declared result types of `return`. Types, shapes, operand counts and
    /// attributes are checked by `verify()`, which reports the same locations.
    public static func parse(_ text: String) throws(IRParseError) -> Graph {
        var parser = try IRParser(text)
        return try parser.parseGraph()
    }
}

/// Recursive-descent parser over `IRLexer`, one token of lookahead.
struct IRParser {
    private var lexer: IRLexer
    private var token: IRToken = .end
    private var tokenLocation = IRLocation(line: 1, column: 1)

    init(_ text: String) throws(IRParseError) {
        lexer = IRLexer(text)
        try advance()
    }

    /// An op line before its operands are resolved.
    private struct Statement {
        var result: String
        var resultLocation: IRLocation
        var kind: OpKind
        var operands: [(name: String, location: IRLocation)]
        var attributes: Attributes
        var type: TensorType
    }

    private mutating func advance() throws(IRParseError) {
        (token, tokenLocation) = try lexer.next()
    }

    private func error(_ message: String) -> IRParseError { IRParseError(tokenLocation, message) }

    private func unexpected(_ expected: String) -> IRParseError {
        error("expected \(expected), found \(token.display)")
    }

    private mutating func expect(_ punct: String) throws(IRParseError) {
        guard token == .punct(punct) else { throw unexpected("'\(punct)'") }
        try advance()
    }

    private mutating func expectWord(_ word: String) throws(IRParseError) {
        guard token == .word(word) else { throw unexpected("'\(word)'") }
        try advance()
    }

    private mutating func valueName() throws(IRParseError) -> (String, IRLocation) {
        guard case let .value(name) = token else { throw unexpected("a value name such as '%x'") }
        let location = tokenLocation
        try advance()
        return (name, location)
    }

    /// `item` separated by commas until `close` (consumed).
    private mutating func list(until close: String, _ item: (inout IRParser) throws(IRParseError) -> Void) throws(IRParseError) {
        if token == .punct(close) { try advance(); return }
        while true {
            try item(&self)
            if token == .punct(close) { try advance(); return }
            try expect(",")
        }
    }

    // MARK: - Graph

    mutating func parseGraph() throws(IRParseError) -> Graph {
        try expectWord("graph")
        guard case let .symbol(name) = token else { throw unexpected("a graph name such as '@deberta_v2'") }
        try advance()
        var graph = Graph(name: name)
        var defined: [String: IRLocation] = [:]

        try expect("(")
        try list(until: ")") { (p: inout IRParser) throws(IRParseError) in
            let (input, location) = try p.valueName()
            if let previous = defined[input] {
                throw IRParseError(location, "value '%\(input)' is already defined at \(previous)")
            }
            try p.expect(":")
            let type = try p.parseType()
            defined[input] = location
            graph.addInput(name: input, type: type, location: location)
        }
        try expect("->")
        var resultTypes: [TensorType] = []
        let signatureLocation = tokenLocation
        if token == .punct("(") {
            try advance()
            try list(until: ")") { (p: inout IRParser) throws(IRParseError) in resultTypes.append(try p.parseType()) }
        } else {
            resultTypes = [try parseType()]
        }
        try expect("{")

        var statements: [Statement] = []
        while case .value = token {
            statements.append(try parseStatement())
        }
        guard token == .word("return") else { throw unexpected("an op line '%name = ...' or 'return'") }
        let returnLocation = tokenLocation
        try advance()
        var returned: [(String, IRLocation)] = []
        if case .value = token {
            returned.append(try valueName())
            while token == .punct(",") {
                try advance()
                returned.append(try valueName())
            }
        }
        try expect("}")
        guard token == .end else { throw unexpected("end of input after the graph") }

        // Resolve names in program order: each must be defined once, before its uses.
        var laterDefinitions: [String: IRLocation] = [:]
        for statement in statements where laterDefinitions[statement.result] == nil && defined[statement.result] == nil {
            laterDefinitions[statement.result] = statement.resultLocation
        }
        func resolve(_ name: String, _ location: IRLocation) throws(IRParseError) -> ValueID {
            if let id = graph.value(named: name) { return id }
            if let definition = laterDefinitions[name] {
                throw IRParseError(location, "value '%\(name)' is used before its definition at \(definition)")
            }
            throw IRParseError(location, "undefined value '%\(name)'")
        }
        for statement in statements {
            if let previous = defined[statement.result] {
                throw IRParseError(statement.resultLocation, "value '%\(statement.result)' is already defined at \(previous)")
            }
            var operands: [ValueID] = []
            for (name, location) in statement.operands {
                operands.append(try resolve(name, location))
            }
            defined[statement.result] = statement.resultLocation
            graph.append(statement.kind, operands, attributes: statement.attributes, type: statement.type,
                         name: statement.result, location: statement.resultLocation)
        }
        var outputs: [ValueID] = []
        for (name, location) in returned {
            outputs.append(try resolve(name, location))
        }
        let actual = outputs.map { graph.type(of: $0) }
        guard actual == resultTypes else {
            let declared = resultTypes.map(\.description).joined(separator: ", ")
            let found = actual.map(\.description).joined(separator: ", ")
            throw IRParseError(returnLocation, "'return' gives (\(found)), but the signature at \(signatureLocation) declares (\(declared))")
        }
        graph.setOutputs(outputs)
        return graph
    }

    // MARK: - Statements

    private mutating func parseStatement() throws(IRParseError) -> Statement {
        let (result, resultLocation) = try valueName()
        try expect("=")
        guard case let .word(opName) = token else { throw unexpected("an op name") }
        guard let kind = OpKind(rawValue: opName) else { throw error("unknown op '\(opName)'") }
        try advance()

        var operands: [(name: String, location: IRLocation)] = []
        var attributes = Attributes()
        if kind == .constant {
            guard case let .symbol(tensor) = token else { throw unexpected("a tensor name such as '@deberta.embeddings.word_embeddings.weight'") }
            try advance()
            if token == .punct("{") {
                let attrLocation = tokenLocation
                attributes = try parseAttributes()
                if attributes["name"] != nil {
                    throw IRParseError(attrLocation, "a constant's 'name' is written as '@name', not as an attribute")
                }
            }
            attributes["name"] = .string(tensor)
        } else {
            try expect("(")
            try list(until: ")") { (p: inout IRParser) throws(IRParseError) in
                let (name, location) = try p.valueName()
                operands.append((name, location))
            }
            if token == .punct("{") { attributes = try parseAttributes() }
        }
        try expect(":")
        let type = try parseType()
        return Statement(result: result, resultLocation: resultLocation, kind: kind, operands: operands,
                         attributes: attributes, type: type)
    }

    private mutating func parseAttributes() throws(IRParseError) -> Attributes {
        try expect("{")
        var attributes = Attributes()
        try list(until: "}") { (p: inout IRParser) throws(IRParseError) in
            guard case let .word(name) = p.token else { throw p.unexpected("an attribute name") }
            let location = p.tokenLocation
            try p.advance()
            try p.expect("=")
            let value = try p.parseAttributeValue()
            if attributes[name] != nil { throw IRParseError(location, "attribute '\(name)' is given twice") }
            attributes[name] = value
        }
        return attributes
    }

    private mutating func parseAttributeValue() throws(IRParseError) -> Attribute {
        let value: Attribute
        switch token {
        case let .integer(v): value = .int(v)
        case let .float(v): value = .float(v)
        case .word("inf"): value = .float(.infinity)
        case .word("nan"): value = .float(.nan)
        case let .string(s): value = .string(s)
        case .punct("["):
            try advance()
            var values: [Int] = []
            try list(until: "]") { (p: inout IRParser) throws(IRParseError) in
                guard case let .integer(v) = p.token else { throw p.unexpected("an integer in the array") }
                values.append(v)
                try p.advance()
            }
            return .ints(values)
        default:
            throw unexpected("an attribute value (integer, float, string or integer array)")
        }
        try advance()
        return value
    }

    // MARK: - Types

    /// `tensor<d0x...xelt>` with dims `B`, `T` or decimal sizes, and elt `f32` or `i32`.
    mutating func parseType() throws(IRParseError) -> TensorType {
        guard token == .word("tensor") else { throw unexpected("a type such as 'tensor<BxTx768xf32>'") }
        try advance()
        // The lexer now stands right after '<' if the current token is '<'.
        guard token == .punct("<") else { throw unexpected("'<' after 'tensor'") }
        let (body, start) = try lexer.typeBody()
        let parts = body.split(separator: "x", omittingEmptySubsequences: false).map(String.init)
        guard let last = parts.last, let element = ElementType(rawValue: last) else {
            throw IRParseError(start, "tensor type '\(body)' must end with an element type 'f32' or 'i32'")
        }
        var shape: [Dim] = []
        var column = start.column
        for part in parts.dropLast() {
            let location = IRLocation(line: start.line, column: column)
            switch part {
            case "B": shape.append(.batch)
            case "T": shape.append(.seq)
            default:
                guard !part.isEmpty, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(part) else {
                    throw IRParseError(location, "invalid dimension '\(part)' (expected 'B', 'T' or a size)")
                }
                guard n <= IRLexer.maximumInteger else {
                    throw IRParseError(location, "dimension \(part) is larger than \(IRLexer.maximumInteger)")
                }
                shape.append(.fixed(n))
            }
            column += part.utf8.count + 1
        }
        try advance()
        return TensorType(shape, element)
    }
}
