import DebertacFrontend
import DebertacIR
import Testing

/// print → parse → print is the identity, and parsed graphs verify like built ones.
@Suite struct RoundTripTests {
    /// Prints, parses, verifies and prints again; returns the first print.
    @discardableResult
    func expectRoundTrip(_ graph: Graph, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let text = graph.printed()
        let parsed = try Graph.parse(text)
        try parsed.verify()
        #expect(parsed.printed() == text, sourceLocation: sourceLocation)
        #expect(parsed.ops.count == graph.ops.count, sourceLocation: sourceLocation)
        return text
    }

    @Test("fixture models build, verify and round-trip", arguments: IRFixtures.modelVariants)
    func fixture(variant: String) throws {
        let config = try DebertaConfig.load(path: IRFixtures.model(variant) + "/config.json")
        let shapes = try IRFixtures.tensorShapes(variant)
        let graph = try DebertaGraphBuilder.build(config: config, tensorShapes: shapes)
        try expectRoundTrip(graph)
        for i in 0...config.numHiddenLayers {
            #expect(graph.value(named: "hidden.\(i)") != nil, "missing %hidden.\(i)")
        }
        let logits = try #require(graph.value(named: "logits"))
        #expect(graph.outputs == [logits])
        #expect(graph.type(of: logits) == TensorType([.batch, .fixed(config.numLabels)], .f32))
        // Every constant names a checkpoint tensor.
        for id in graph.ops {
            if let name = graph[op: id].constantName { #expect(shapes[name] != nil, "'\(name)' not in the checkpoint") }
        }
    }

    @Test("fixture list is not empty")
    func fixturesPresent() {
        #expect(IRFixtures.modelVariants.count >= 10)
    }

    @Test("synthetic configurations build, verify and round-trip", arguments: ConfigVariant.all)
    func synthetic(variant: ConfigVariant) throws {
        let graph = try DebertaGraphBuilder.build(config: variant.config)
        try expectRoundTrip(graph)
        #expect(graph.value(named: "hidden.\(variant.config.numHiddenLayers)") != nil)
    }

    static let snippets: [String] = [
        // Canonical printer output: comments, quoted names, multiple outputs, every attribute kind.
        """
        // debertac IR
        graph @tiny(%ids: tensor<BxTxi32>, %mask: tensor<BxTxi32>) -> (tensor<BxTx8xf32>, tensor<TxTxi32>) {
          %table = constant @embeddings.word-table : tensor<10x8xf32>
          %odd = constant @"weird name/with \\"quotes\\"" : tensor<8xf32>
          %e = gather(%table, %ids) : tensor<BxTx8xf32>
          %s = add(%e, %odd) : tensor<BxTx8xf32>
          %m = mask_rows(%s, %mask) : tensor<BxTx8xf32>
          %y = scale(%m) {factor = 1e-07} : tensor<BxTx8xf32>
          %idx = rel_pos_index() {buckets = 0, max_position = 16, span = 16} : tensor<TxTxi32>
          return %y, %idx
        }

        """,
        // Unknown attributes still print and parse (the verifier rejects them).
        """
        // debertac IR
        graph @attrs(%x: tensor<Bx4xf32>) -> tensor<Bx4xf32> {
          %y = relu(%x) {a = -3, b = 0.1, c = "text\\n", d = [1, -2, 3], e = [], f = -inf, g = 1e+300} : tensor<Bx4xf32>
          return %y
        }

        """,
        // Rank-0 and static types.
        """
        // debertac IR
        graph @scalars(%x: tensor<f32>) -> tensor<f32> {
          %y = tanh(%x) : tensor<f32>
          return %y
        }

        """,
    ]

    @Test("hand-written snippets print back identically", arguments: snippets.indices)
    func snippet(index: Int) throws {
        let text = Self.snippets[index]
        let graph = try Graph.parse(text)
        #expect(graph.printed() == text)
    }

    @Test("non-canonical spacing and comments print canonically")
    func canonicalization() throws {
        let messy = """
        graph   @g( %x :tensor<Bx4xf32> )->tensor<Bx4xf32>{ // trailing comment
        // a full-line comment
            %y=scale( %x ){ factor=2.0 }:tensor<Bx4xf32>
        return %y }
        """
        let graph = try Graph.parse(messy)
        try graph.verify()
        let text = graph.printed()
        #expect(text == """
        // debertac IR
        graph @g(%x: tensor<Bx4xf32>) -> tensor<Bx4xf32> {
          %y = scale(%x) {factor = 2.0} : tensor<Bx4xf32>
          return %y
        }

        """)
        #expect(try Graph.parse(text).printed() == text)
    }

    @Test("float attributes round-trip bit for bit",
          arguments: [1e-7, 1e-12, 0.1 + 0.2, 1.0 / 24.0.squareRoot(), 1.0 / 192.0.squareRoot(), 5e-324, 1.7976931348623157e308, -0.0, 3.0, 1e16])
    func floatExactness(value: Double) throws {
        var graph = Graph(name: "f")
        let x = graph.addInput(name: "x", type: TensorType([.batch, .fixed(2)]))
        let y = graph.append(.scale, [x], attributes: ["factor": .float(value)], type: TensorType([.batch, .fixed(2)]), name: "y")
        graph.setOutputs([y])
        let parsed = try Graph.parse(graph.printed())
        let parsedValue = try #require(parsed.op(named: "y")?.attributes["factor"]?.floatValue)
        #expect(parsedValue.bitPattern == value.bitPattern)
    }
}
