import DebertacIR
import Testing

/// Malformed IR is rejected by the parser or the verifier with `line:column` in the message.
@Suite struct MalformedIRTests {
    /// A malformed snippet and the text its error must contain.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let body: String
        let expected: [String]
        var testDescription: String { name }
    }

    /// Wraps op lines (line 3 onwards) in a graph with inputs `%x: tensor<BxTx8xf32>`,
    /// `%mask: tensor<BxTxi32>`; the body must end with a `return` line.
    static func program(_ body: String) -> String {
        """
        // debertac IR
        graph @bad(%x: tensor<BxTx8xf32>, %mask: tensor<BxTxi32>) -> tensor<BxTx8xf32> {
        \(body)
        }
        """
    }

    static let cases: [Case] = [
        Case(name: "wrong shape", body: """
          %w = constant @w : tensor<4x8xf32>
          %y = add(%x, %w) : tensor<BxTx8xf32>
          return %y
        """, expected: ["4:3:", "do not broadcast"]),
        Case(name: "wrong result type", body: """
          %y = gelu(%x) : tensor<BxTx9xf32>
          return %x
        """, expected: ["3:3:", "result type is tensor<BxTx9xf32>, expected tensor<BxTx8xf32>"]),
        Case(name: "wrong linear width", body: """
          %w = constant @w : tensor<16x7xf32>
          %y = linear(%x, %w) : tensor<BxTx16xf32>
          return %x
        """, expected: ["4:3:", "input width"]),
        Case(name: "wrong operand count", body: """
          %y = relu(%x, %x) : tensor<BxTx8xf32>
          return %y
        """, expected: ["3:3:", "'relu' takes 1 operand", "found 2"]),
        Case(name: "too few operands for linear", body: """
          %y = linear(%x) : tensor<BxTx8xf32>
          return %y
        """, expected: ["3:3:", "2 or 3 operands"]),
        Case(name: "unknown op", body: """
          %y = frobnicate(%x) : tensor<BxTx8xf32>
          return %y
        """, expected: ["3:8:", "unknown op 'frobnicate'"]),
        Case(name: "undefined value", body: """
          %y = relu(%nothing) : tensor<BxTx8xf32>
          return %y
        """, expected: ["3:13:", "undefined value '%nothing'"]),
        Case(name: "use before definition", body: """
          %y = relu(%z) : tensor<BxTx8xf32>
          %z = relu(%x) : tensor<BxTx8xf32>
          return %y
        """, expected: ["3:13:", "'%z' is used before its definition at 4:3"]),
        Case(name: "undefined return value", body: """
          return %nope
        """, expected: ["3:10:", "undefined value '%nope'"]),
        Case(name: "missing attribute", body: """
          %y = scale(%x) : tensor<BxTx8xf32>
          return %y
        """, expected: ["3:3:", "missing attribute 'factor'"]),
        Case(name: "attribute of the wrong kind", body: """
          %y = scale(%x) {factor = 2} : tensor<BxTx8xf32>
          return %y
        """, expected: ["3:3:", "attribute 'factor' is 2, expected a float"]),
        Case(name: "attribute out of range", body: """
          %s = attention_scores(%x, %x) {heads = 0} : tensor<Bx0xTxTxf32>
          return %x
        """, expected: ["3:3:", "attribute 'heads' is 0, expected a positive integer"]),
        Case(name: "unknown attribute", body: """
          %y = relu(%x) {alpha = 0.1} : tensor<BxTx8xf32>
          return %y
        """, expected: ["3:3:", "unknown attribute 'alpha'"]),
        Case(name: "unknown precision", body: """
          %y = linear(%x, %x) {precision = "fp16"} : tensor<BxTx8xf32>
          return %y
        """, expected: ["3:3:", "attribute 'precision' is \"fp16\", expected one of \"bf16\", \"int8\""]),
        Case(name: "attribute syntax", body: """
          %y = scale(%x) {factor = } : tensor<BxTx8xf32>
          return %y
        """, expected: ["3:28:", "expected an attribute value"]),
        Case(name: "duplicate attribute", body: """
          %y = scale(%x) {factor = 1.0, factor = 2.0} : tensor<BxTx8xf32>
          return %y
        """, expected: ["3:33:", "attribute 'factor' is given twice"]),
        Case(name: "duplicate value name", body: """
          %y = relu(%x) : tensor<BxTx8xf32>
          %y = tanh(%x) : tensor<BxTx8xf32>
          return %y
        """, expected: ["4:3:", "'%y' is already defined at 3:3"]),
        Case(name: "redefined input", body: """
          %x = relu(%x) : tensor<BxTx8xf32>
          return %x
        """, expected: ["3:3:", "'%x' is already defined at 2:12"]),
        Case(name: "bad dimension", body: """
          %y = relu(%x) : tensor<BxQx8xf32>
          return %y
        """, expected: ["3:28:", "invalid dimension 'Q'"]),
        Case(name: "bad element type", body: """
          %y = relu(%x) : tensor<BxTx8xf16>
          return %y
        """, expected: ["3:26:", "element type"]),
        Case(name: "integer activation", body: """
          %y = gelu(%mask) : tensor<BxTxi32>
          return %x
        """, expected: ["3:3:", "expected element type f32"]),
        Case(name: "mask of the wrong shape", body: """
          %s = attention_scores(%x, %x) {heads = 2} : tensor<Bx2xTxTxf32>
          %p = masked_softmax(%s, %x) : tensor<Bx2xTxTxf32>
          return %x
        """, expected: ["4:3:", "operand 'mask'"]),
        Case(name: "return type mismatch", body: """
          %y = first_token(%x) : tensor<Bx8xf32>
          return %y
        """, expected: ["4:3:", "'return' gives (tensor<Bx8xf32>)"]),
        Case(name: "missing type", body: """
          %y = relu(%x)
          return %y
        """, expected: ["4:3:", "expected ':'"]),
        Case(name: "even conv kernel", body: """
          %w = constant @w : tensor<8x8x2xf32>
          %b = constant @b : tensor<8xf32>
          %y = conv1d(%x, %w, %b) {groups = 1, padding = 0} : tensor<BxTx8xf32>
          return %y
        """, expected: ["5:3:", "does not preserve the length"]),
        Case(name: "constant name as attribute", body: """
          %w = constant @w {name = "v"} : tensor<8xf32>
          return %x
        """, expected: ["3:20:", "written as '@name'"]),
        Case(name: "symbolic constant", body: """
          %w = constant @w : tensor<Tx8xf32>
          return %x
        """, expected: ["3:3:", "static shape"]),
        Case(name: "unterminated string", body: """
          %w = constant @"open : tensor<8xf32>
          return %x
        """, expected: ["3:17:", "unterminated string"]),
    ]

    @Test("malformed IR is rejected with line and column", arguments: cases)
    func rejects(_ test: Case) {
        let text = Self.program(test.body)
        var message = ""
        do {
            let graph = try Graph.parse(text)
            try graph.verify()
            Issue.record("accepted:\n\(text)")
            return
        } catch let error as IRParseError {
            message = error.description
        } catch let error as VerificationError {
            message = error.description
        } catch {
            Issue.record("unexpected error type \(type(of: error)): \(error)")
        }
        for fragment in test.expected {
            #expect(message.contains(fragment), "message \"\(message)\" lacks \"\(fragment)\"")
        }
    }

    @Test("the verifier reports every problem, not just the first")
    func allDiagnostics() throws {
        let graph = try Graph.parse(Self.program("""
          %y = relu(%x, %x) : tensor<BxTx8xf32>
          %z = scale(%x) : tensor<BxTx8xf32>
          return %z
        """))
        let diagnostics = graph.verificationDiagnostics()
        #expect(diagnostics.map { $0.location?.line } == [3, 4])
    }

    @Test("graphs built in memory get the op text as context")
    func contextWithoutLocation() {
        var graph = Graph(name: "g")
        let x = graph.addInput(name: "x", type: TensorType([.batch, .fixed(4)]))
        let y = graph.append(.gelu, [x], type: TensorType([.batch, .fixed(5)]), name: "y")
        graph.setOutputs([y])
        #expect(throws: VerificationError.self) { try graph.verify() }
        let message = graph.verificationDiagnostics().first?.description ?? ""
        #expect(message.contains("in '%y = gelu(%x) : tensor<Bx5xf32>'"))
    }
}
