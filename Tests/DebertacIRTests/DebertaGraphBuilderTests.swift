import DebertacFrontend
import DebertacIR
import Testing

@Suite struct DebertaGraphBuilderTests {
    // MARK: - Refusals

    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let config: DebertaConfig
        let fragments: [String]
        var testDescription: String { name }

        init(_ name: String, _ fragments: [String], _ change: (inout DebertaConfig) -> Void) {
            var config = IRFixtures.base
            change(&config)
            self.name = name
            self.config = config
            self.fragments = fragments
        }
    }

    static let refusals: [Refusal] = [
        Refusal("unknown hidden activation", ["field 'hidden_act' is 'mish'", "unsupported activation"]) { $0.hiddenAct = "mish" },
        Refusal("unknown conv activation", ["field 'conv_act' is 'gelu_10'"]) { $0.convKernelSize = 3; $0.convAct = "gelu_10" },
        Refusal("unknown pooler activation", ["field 'pooler_hidden_act' is 'prelu'"]) { $0.poolerHiddenAct = "prelu" },
        Refusal("even conv kernel", ["field 'conv_kernel_size' is 4", "odd"]) { $0.convKernelSize = 4; $0.convAct = "gelu" },
        Refusal("conv groups", ["field 'conv_groups' is 3"]) { $0.convKernelSize = 3; $0.convGroups = 3 },
        Refusal("pooler size", ["field 'pooler_hidden_size' is 16", "'hidden_size' (32)"]) { $0.poolerHiddenSize = 16 },
        Refusal("hidden not divisible by heads", ["field 'hidden_size' is 30", "'num_attention_heads' (4)"]) { $0.hiddenSize = 30 },
        Refusal("head size", ["field 'attention_head_size' is 6", "must equal 'hidden_size' (32)"]) { $0.attentionHeadSize = 6 },
        Refusal("one position bucket", ["field 'position_buckets' is 1"]) { $0.positionBuckets = 1 },
        Refusal("degenerate log buckets", ["field 'max_relative_positions' is 5"]) { $0.maxRelativePositions = 5 },
    ]

    @Test("unsupported configurations are refused naming the field", arguments: refusals)
    func refuses(_ refusal: Refusal) {
        #expect {
            _ = try DebertaGraphBuilder.build(config: refusal.config)
        } throws: { error in
            let message = "\(error)"
            for fragment in refusal.fragments where !message.contains(fragment) {
                Issue.record("message \"\(message)\" lacks \"\(fragment)\"")
            }
            return error is GraphBuildError
        }
    }

    @Test("an unused conv_act is not checked")
    func unusedConvActivation() throws {
        var config = IRFixtures.base
        config.convAct = "no-such-activation"
        _ = try DebertaGraphBuilder.build(config: config)
    }

    @Test("every supported activation name builds", arguments: Activation.supportedNames)
    func activations(name: String) throws {
        var config = IRFixtures.base
        config.hiddenAct = name
        config.poolerHiddenAct = name
        config.convKernelSize = 3
        config.convAct = name
        let graph = try DebertaGraphBuilder.build(config: config)
        let counts = graph.opCounts
        switch Activation.named(name) {
        case let .op(kind)?: #expect(counts[kind] == config.numHiddenLayers + 2)
        case .identity?: #expect(OpKind.activations.allSatisfy { counts[$0] == nil })
        case nil: Issue.record("'\(name)' listed but not mapped")
        }
    }

    // MARK: - Structure

    func counts(_ change: (inout DebertaConfig) -> Void) throws -> (Graph, [OpKind: Int]) {
        var config = IRFixtures.base
        change(&config)
        let graph = try DebertaGraphBuilder.build(config: config)
        return (graph, graph.opCounts)
    }

    @Test("flagship-like graph has the expected op multiset")
    func flagshipMultiset() throws {
        let (graph, counts) = try counts { $0.convKernelSize = 3; $0.convAct = "gelu" }
        let layers = 2
        #expect(counts[.attentionScores] == layers)
        #expect(counts[.c2pScores] == layers)
        #expect(counts[.p2cScores] == layers)
        #expect(counts[.maskedSoftmax] == layers)
        #expect(counts[.attentionContext] == layers)
        #expect(counts[.relPosIndex] == 1)
        #expect(counts[.conv1d] == 1)
        // embeddings + rel embeddings + 2 per layer + conv
        #expect(counts[.layerNorm] == 1 + 1 + 2 * layers + 1)
        // q, k, v, pos_key, pos_query, attention dense, ffn up, ffn down per layer; pooler, classifier
        #expect(counts[.linear] == 8 * layers + 2)
        // hidden_act per layer, conv_act, pooler act
        #expect(counts[.gelu] == layers + 2)
        #expect(counts[.maskRows] == 3)
        #expect(counts[.firstToken] == 1)
        #expect(counts[.prefixRows] == nil)
        #expect(counts[.sliceRows] == nil)
        #expect(graph.inputs.map { graph.name(of: $0) } == ["input_ids", "attention_mask"])
        // The conv reads the embedding output, its residual is layer 0's output.
        let conv = try #require(graph.op(named: "conv.conv"))
        #expect(graph.name(of: conv.operands[0]) == "hidden.0")
        let residual = try #require(graph.op(named: "conv.residual"))
        #expect(residual.operands.map { graph.name(of: $0) } == ["layer0.out", "conv.act"])
        #expect(conv.attributes == ["groups": .int(1), "padding": .int(1)])
    }

    @Test("c2p-only has no p2c_scores and reads key_proj only")
    func c2pOnly() throws {
        let (graph, counts) = try counts { $0.posAttType = ["c2p"] }
        #expect(counts[.c2pScores] == 2)
        #expect(counts[.p2cScores] == nil)
        let posKey = try #require(graph.op(named: "layer0.pos_key"))
        #expect(graph[op: graph.definingOp(of: posKey.operands[1])!].constantName == "deberta.encoder.layer.0.attention.self.key_proj.weight")
        #expect(graph.value(named: "layer0.pos_query") == nil)
        let scale = try #require(graph.op(named: "layer0.scores"))
        #expect(scale.attributes["factor"] == Attribute.float(1 / (8.0 * 2).squareRoot()))
    }

    @Test("p2c-only has no c2p_scores")
    func p2cOnly() throws {
        let (_, counts) = try counts { $0.posAttType = ["p2c"] }
        #expect(counts[.p2cScores] == 2)
        #expect(counts[.c2pScores] == nil)
    }

    @Test("unshared keys read pos_key_proj and pos_query_proj")
    func unshared() throws {
        let (graph, _) = try counts { $0.shareAttKey = false }
        let names = Set(graph.ops.compactMap { graph[op: $0].constantName })
        #expect(names.contains("deberta.encoder.layer.1.attention.self.pos_key_proj.weight"))
        #expect(names.contains("deberta.encoder.layer.1.attention.self.pos_query_proj.bias"))
    }

    @Test("no relative attention: no position ops, but the scale still counts pos_att_type")
    func noRelative() throws {
        let (graph, counts) = try counts { $0.relativeAttention = false }
        #expect(counts[.relPosIndex] == nil && counts[.c2pScores] == nil && counts[.p2cScores] == nil)
        #expect(!graph.ops.contains { graph[op: $0].constantName == "deberta.encoder.rel_embeddings.weight" })
        let scale = try #require(graph.op(named: "layer0.scores"))
        #expect(scale.attributes["factor"] == Attribute.float(1 / (8.0 * 3).squareRoot()))
    }

    @Test("relative attention without c2p/p2c needs no relative embeddings")
    func noPosAtt() throws {
        let (_, counts) = try counts { $0.posAttType = [] }
        #expect(counts[.relPosIndex] == nil)
        #expect(counts[.layerNorm] == 1 + 2 * 2)
    }

    @Test("position and token type embeddings, embed_proj without bias")
    func embeddings() throws {
        let (graph, counts) = try counts { $0.positionBiasedInput = true; $0.typeVocabSize = 2; $0.embeddingSize = 16 }
        #expect(counts[.prefixRows] == 1)
        #expect(counts[.gather] == 2)
        #expect(graph.inputs.map { graph.name(of: $0) } == ["input_ids", "attention_mask", "token_type_ids"])
        let proj = try #require(graph.op(named: "emb.proj"))
        #expect(proj.operands.count == 2)
        #expect(graph.type(of: proj.operands[1]) == TensorType(staticShape: [32, 16]))
    }

    @Test("rel_pos_index attributes follow the config")
    func relPosIndexAttributes() throws {
        let (bucketed, _) = try counts { _ in }
        let expected: Attributes = ["buckets": .int(8), "max_position": .int(64), "span": .int(8)]
        #expect(bucketed.op(named: "rel.index")?.attributes == expected)
        let (plain, _) = try counts { $0.positionBuckets = -1; $0.maxRelativePositions = 16 }
        let expectedPlain: Attributes = ["buckets": .int(0), "max_position": .int(16), "span": .int(16)]
        #expect(plain.op(named: "rel.index")?.attributes == expectedPlain)
        #expect(plain.ops.contains { plain[op: $0].constantName == "deberta.encoder.rel_embeddings.weight" && plain.type(of: plain[op: $0].result) == TensorType(staticShape: [32, 32]) })
    }

    @Test("regression head has one output")
    func regression() throws {
        let (graph, _) = try counts { $0.labels = ["score"] }
        #expect(graph.type(of: graph.outputs[0]) == TensorType([.batch, .fixed(1)]))
    }

    @Test("value names follow HF hidden_states")
    func hiddenNames() throws {
        let (graph, _) = try counts { $0.numHiddenLayers = 3; $0.convKernelSize = 3 }
        for i in 0...3 { #expect(graph.value(named: "hidden.\(i)") != nil) }
        #expect(graph.op(named: "hidden.1")?.kind == .maskRows)  // conv output
        #expect(graph.op(named: "hidden.2")?.kind == .layerNorm)
        #expect(graph.op(named: "pooler.token")?.operands.first == graph.value(named: "hidden.3"))
    }

    // MARK: - Checkpoint validation

    @Test("missing and misshaped tensors are all reported")
    func tensorMismatch() throws {
        var shapes = try IRFixtures.tensorShapes("xxlarge-toy")
        let config = try DebertaConfig.load(path: IRFixtures.model("xxlarge-toy") + "/config.json")
        shapes["classifier.bias"] = nil
        shapes["deberta.encoder.rel_embeddings.weight"] = [8, 32]
        #expect {
            _ = try DebertaGraphBuilder.build(config: config, tensorShapes: shapes)
        } throws: { error in
            guard case let GraphBuildError.tensorMismatch(problems) = error else { return false }
            return Set(problems) == [
                .missing(name: "classifier.bias", expected: [3]),
                .shape(name: "deberta.encoder.rel_embeddings.weight", shape: [8, 32], expected: [16, 32]),
            ] && "\(error)".contains("tensor 'classifier.bias' with shape [3] is missing")
        }
    }

    @Test("build(checkpoint:) reads the fixture checkpoint", arguments: ["xxlarge-toy", "v3-toy", "no-relative"])
    func fromCheckpoint(variant: String) throws {
        let checkpoint = try Checkpoint.load(path: IRFixtures.model(variant))
        let graph = try DebertaGraphBuilder.build(checkpoint: checkpoint)
        try graph.verify()
    }
}
