import DebertacIR
import Foundation
import Testing

/// The editing API passes use, and the op table itself.
@Suite struct GraphAPITests {
    static let text = """
    // debertac IR
    graph @g(%x: tensor<Bx4xf32>) -> tensor<Bx4xf32> {
      %a = relu(%x) : tensor<Bx4xf32>
      %b = tanh(%a) : tensor<Bx4xf32>
      %c = add(%a, %b) : tensor<Bx4xf32>
      %dead = sigmoid(%c) : tensor<Bx4xf32>
      return %c
    }

    """

    @Test("defining ops and uses")
    func usesAndDefinitions() throws {
        let graph = try Graph.parse(Self.text)
        let x = try #require(graph.value(named: "x"))
        let a = try #require(graph.value(named: "a"))
        let c = try #require(graph.value(named: "c"))
        #expect(graph.definingOp(of: x) == nil)
        let aOp = try #require(graph.definingOp(of: a))
        #expect(graph[op: aOp].kind == .relu)
        #expect(graph.position(of: aOp) == 0)
        let cOp = try #require(graph.definingOp(of: c))
        let bOp = try #require(graph.definingOp(of: graph.value(named: "b")!))
        #expect(graph.uses(of: a) == [.operand(op: bOp, index: 0), .operand(op: cOp, index: 0)])
        #expect(graph.uses(of: c).contains(.output(index: 0)))
        #expect(graph[value: a].location == IRLocation(line: 3, column: 3))
    }

    @Test("replace uses, remove dead ops, rename")
    func editing() throws {
        var graph = try Graph.parse(Self.text)
        let a = graph.value(named: "a")!, b = graph.value(named: "b")!
        graph.replaceAllUses(of: b, with: a)
        #expect(graph.removeDeadOps() == 2)  // %dead, then %b
        graph.rename(a, to: "relu_out")
        try graph.verify()
        #expect(graph.printed() == """
        // debertac IR
        graph @g(%x: tensor<Bx4xf32>) -> tensor<Bx4xf32> {
          %relu_out = relu(%x) : tensor<Bx4xf32>
          %c = add(%relu_out, %relu_out) : tensor<Bx4xf32>
          return %c
        }

        """)
        #expect(graph.value(named: "a") == nil && graph.value(named: "b") == nil)
    }

    @Test("GraphBuilder inserts typed ops at an insertion point")
    func builderInsertion() throws {
        var builder = GraphBuilder(graph: try Graph.parse(Self.text))
        let cOp = builder.graph.definingOp(of: builder.graph.value(named: "c")!)!
        builder.setInsertionPoint(before: cOp)
        let a = builder.graph.value(named: "a")!
        let scaled = try builder.emit(.scale, [a], ["factor": .float(0.5)], name: "a")  // name taken: uniqued
        #expect(builder.graph.name(of: scaled) == "a.1")
        #expect(builder.graph.type(of: scaled) == TensorType([.batch, .fixed(4)]))
        builder.graph.setOperand(cOp, 1, to: scaled)
        try builder.graph.verify()
        #expect(builder.graph.printed().contains("  %a.1 = scale(%a) {factor = 0.5} : tensor<Bx4xf32>\n  %c = add(%a, %a.1)"))
        #expect(throws: TypeRuleError.self) { try builder.emit(.linear, [a, a], name: "bad") }
    }

    @Test("the verifier catches use before definition in graphs edited in memory")
    func movedOp() throws {
        var graph = try Graph.parse(Self.text)
        let cOp = graph.definingOp(of: graph.value(named: "c")!)!
        graph.move(cOp, to: 0)
        #expect(graph.verificationDiagnostics().contains { $0.message.contains("'%a' is used before its definition") })
    }

    @Test("the op table covers every op, with consistent properties")
    func opTable() {
        for kind in OpKind.allCases {
            let info = kind.info
            #expect(info.name == kind.rawValue)
            #expect(info.operandCount.upperBound == info.operandNames.count)
            #expect(info.inPlaceOperands.allSatisfy { $0 < info.operandCount.lowerBound })
            #expect(info.example.contains(" = \(kind.rawValue)"))
            #expect(info.attributes.map(\.name) == info.attributes.map(\.name).sorted())
        }
        #expect(OpKind.activations == [.gelu, .geluTanh, .relu, .tanh, .sigmoid, .silu, .quickGelu])
        #expect(OpKind.activations.allSatisfy { $0.info.isElementwise })
    }

    @Test("docs/ir.md documents every op with its example")
    func documentation() throws {
        let docs = try String(contentsOfFile: IRFixtures.repository + "/docs/ir.md", encoding: .utf8)
        for kind in OpKind.allCases {
            #expect(docs.contains("### `\(kind.rawValue)`"), "docs/ir.md has no section for '\(kind.rawValue)'")
            #expect(docs.contains(kind.info.example), "docs/ir.md lacks the example of '\(kind.rawValue)'")
        }
    }
}
