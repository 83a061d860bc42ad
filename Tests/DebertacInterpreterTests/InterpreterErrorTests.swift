import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import Testing

/// What the interpreter refuses when given tensors directly (bypassing `InferenceInput`),
/// and the other typed errors of `Interpreter`.
@Suite struct InterpreterErrorTests {
    static let ir = """
        graph @g(%ids: tensor<BxTxi32>, %mask: tensor<BxTxi32>) -> tensor<BxTx2xf32> {
          %t = constant @t : tensor<4x2xf32>
          %e = gather(%t, %ids) : tensor<BxTx2xf32>
          %p = prefix_rows(%t) : tensor<Tx2xf32>
          %s = add(%e, %p) : tensor<BxTx2xf32>
          %y = mask_rows(%s, %mask) : tensor<BxTx2xf32>
          return %y
        }
        """
    static let table = HostTensor(shape: [4, 2], floats: [0, 1, 2, 3, 4, 5, 6, 7])

    static func interpreter(_ constants: [String: HostTensor] = ["t": table]) throws -> Interpreter {
        try Interpreter(graph: try Graph.parse(ir), constants: ConstantTable(constants))
    }

    static func ints(_ shape: [Int], _ value: Int32 = 1) -> HostTensor {
        HostTensor(shape: shape, ints: [Int32](repeating: value, count: shape.reduce(1, *)))
    }

    @Test("a valid run, and intermediate values by name")
    func runs() throws {
        let values = try Self.interpreter().run(
            inputs: ["ids": HostTensor(shape: [1, 2], ints: [3, 0]), "mask": HostTensor(shape: [1, 2], ints: [1, 0])],
            values: ["y", "p", "ids"])
        #expect(values["y"] == HostTensor(shape: [1, 2, 2], floats: [6, 8, 0, 0]))
        #expect(values["p"] == HostTensor(shape: [2, 2], floats: [0, 1, 2, 3]))
        #expect(values["ids"] == HostTensor(shape: [1, 2], ints: [3, 0]))
    }

    static let failures: [(name: String, inputs: [String: HostTensor], error: InterpreterError)] = [
        ("missing input", ["ids": ints([1, 2])],
         .missingInput(name: "mask", expected: TensorType([.batch, .seq], .i32))),
        ("unexpected input", ["ids": ints([1, 2]), "mask": ints([1, 2]), "token_type_ids": ints([1, 2])],
         .unexpectedInput(name: "token_type_ids")),
        ("wrong element type", ["ids": HostTensor.zeros([1, 2]), "mask": ints([1, 2])],
         .inputMismatch(name: "ids", given: "f32[1, 2]", expected: TensorType([.batch, .seq], .i32))),
        ("wrong rank", ["ids": ints([2]), "mask": ints([1, 2])],
         .inputMismatch(name: "ids", given: "i32[2]", expected: TensorType([.batch, .seq], .i32))),
        ("empty sequence", ["ids": ints([1, 0]), "mask": ints([1, 0])],
         .inputMismatch(name: "ids", given: "i32[1, 0]", expected: TensorType([.batch, .seq], .i32))),
        ("inconsistent T", ["ids": ints([1, 2]), "mask": ints([1, 3])],
         .inconsistentDimension(symbol: "T", name: "mask", size: 3, boundBy: "ids", boundSize: 2)),
        ("inconsistent B", ["ids": ints([2, 2]), "mask": ints([1, 2])],
         .inconsistentDimension(symbol: "B", name: "mask", size: 1, boundBy: "ids", boundSize: 2)),
        ("id out of range", ["ids": HostTensor(shape: [1, 2], ints: [1, 4]), "mask": ints([1, 2])],
         .indexOutOfRange(value: "e", operand: "ids", index: 4, limit: 4)),
        ("negative id", ["ids": HostTensor(shape: [1, 2], ints: [-1, 0]), "mask": ints([1, 2])],
         .indexOutOfRange(value: "e", operand: "ids", index: -1, limit: 4)),
        ("longer than the position table", ["ids": ints([1, 5]), "mask": ints([1, 5])],
         .tableTooShort(value: "p", length: 5, rows: 4)),
    ]

    @Test("bad tensors throw typed errors", arguments: failures)
    func rejects(_ name: String, _ inputs: [String: HostTensor], _ error: InterpreterError) throws {
        let interpreter = try Self.interpreter()
        #expect(throws: error) { _ = try interpreter.run(inputs: inputs) }
    }

    static let valid = ["ids": ints([1, 2]), "mask": ints([1, 2])]

    @Test("unknown value names are refused")
    func unknownValue() throws {
        #expect(throws: InterpreterError.unknownValue(name: "nope")) {
            _ = try Self.interpreter().run(inputs: Self.valid, values: ["nope"])
        }
    }

    @Test("constants must exist and match their declared type")
    func constants() throws {
        #expect(throws: InterpreterError.constantUnavailable(name: "t", message: "no tensor of that name in the table")) {
            _ = try Self.interpreter([:]).run(inputs: Self.valid)
        }
        #expect(throws: InterpreterError.constantMismatch(name: "t", given: "f32[2, 4]", expected: TensorType(staticShape: [4, 2]))) {
            _ = try Self.interpreter(["t": HostTensor.zeros([2, 4])]).run(inputs: Self.valid)
        }
    }

    @Test("an unverifiable graph is refused")
    func invalidGraph() throws {
        let graph = try Graph.parse("""
            graph @g(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
              %y = relu(%x) : tensor<2x4xf32>
              return %y
            }
            """)
        #expect {
            _ = try Interpreter(graph: graph, constants: ConstantTable())
        } throws: { error in
            guard case .invalidGraph = error as? InterpreterError else { return false }
            return true
        }
    }

    @Test("checkpoint constants report missing tensors")
    func checkpointConstants() throws {
        let checkpoint = try Checkpoint.load(path: InterpreterFixtures.model("xxlarge-toy"))
        let constants = CheckpointConstants(checkpoint: checkpoint)
        let word = try constants.constant(named: "deberta.embeddings.word_embeddings.weight")
        #expect(word.shape == [96, 32])
        #expect(throws: InterpreterError.constantUnavailable(name: "no.such.tensor", message: "the checkpoint has no tensor of that name")) {
            _ = try constants.constant(named: "no.such.tensor")
        }
        let layered = LayeredConstants(overrides: ConstantTable(["fold.x": HostTensor.zeros([2])]), base: constants)
        #expect(try layered.constant(named: "fold.x") == HostTensor.zeros([2]))
        #expect(try layered.constant(named: "deberta.embeddings.word_embeddings.weight") == word)
    }
}
