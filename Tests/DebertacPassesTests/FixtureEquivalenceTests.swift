import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import DebertacPasses
import Testing

/// Every fixture model, after each pass alone, after each prefix of the default pipeline,
/// and after the whole pipeline, run by the reference interpreter, matches the Hugging Face
/// goldens within |a − b| ≤ 1e-4 · (1 + |b|) for logits and real-token hidden states, as
/// the unoptimised graph does. The verifier runs after every pass.
@Suite struct FixtureEquivalenceTests {
    /// A list of passes to run, by name.
    struct Stage: Sendable, CustomTestStringConvertible {
        let label: String
        let passes: [String]
        var testDescription: String { label }
    }

    static let stages: [Stage] = {
        let names = Pipeline.defaultPassNames
        var stages = [Stage(label: "unoptimised", passes: [])]
        stages += names.map { Stage(label: "\($0) alone", passes: [$0]) }
        stages += names.indices.dropLast().map { Stage(label: "prefix through \(names[$0])", passes: Array(names[...$0])) }
        stages.append(Stage(label: "default pipeline", passes: names))
        return stages
    }()

    @Test("optimised fixtures match the HF goldens", arguments: PassFixtures.modelVariants, stages)
    func goldens(variant: String, stage: Stage) throws {
        var (checkpoint, graph, context) = try PassRunner.fixture(variant)
        try PassRunner.run(&graph, passes: try Pipeline.passes(list: stage.passes), context: context)
        let worst = try GoldenCheck.check(graph, constants: context.constants, config: checkpoint.config,
                                          variant: variant, label: "\(variant) [\(stage.label)]")
        #expect(worst <= GoldenCheck.tolerance)
        if stage.passes.isEmpty || stage.passes == Pipeline.defaultPassNames {
            print("golden \(variant) [\(stage.label)]: max |a-b|/(1+|b|) = \(worst)")
        }
    }

    @Test("there are 24 fixture variants (14 v2, 10 v1)")
    func variants() {
        #expect(PassFixtures.modelVariants.count == 24)
    }
}

/// What the default pipeline guarantees on the IR of every fixture model.
@Suite struct DefaultPipelineTests {
    static func optimised(_ variant: String) throws -> (Graph, DebertaConfig, PassContext, [PassRecord]) {
        var (checkpoint, graph, context) = try PassRunner.fixture(variant)
        let records = try PassRunner.run(&graph, passes: Pipeline.defaultPasses(), context: context)
        return (graph, checkpoint.config, context, records)
    }

    @Test("no op computes anything from weights alone", arguments: PassFixtures.modelVariants)
    func noWeightsOnlyOps(variant: String) throws {
        let (graph, config, context, _) = try Self.optimised(variant)
        // Forward: which values depend on an input. Every non-constant op must. (A v1
        // talking-head model keeps the run-time `rel_pos_index`, a function of T alone.)
        var dependsOnInput = Set(graph.inputs)
        for id in graph.ops {
            let op = graph[op: id]
            if op.operands.contains(where: { dependsOnInput.contains($0) }) || op.kind == .relPosIndex { dependsOnInput.insert(op.result) }
            if op.kind != .constant {
                #expect(dependsOnInput.contains(op.result), "\(variant): '\(graph.printed(op: id))' depends on weights only")
            }
            if let name = op.constantName, name.hasPrefix("fold.") {
                #expect(context.constants.isComputed(name), "\(variant): no data for computed constant '\(name)'")
            }
        }
        for kind in [OpKind.relPosIndex, .relBucketTable, .concatRows, .scale] where !(config.talkingHead && kind == .relPosIndex) {
            #expect(!graph.ops.contains { graph[op: $0].kind == kind }, "\(variant): '\(kind)' left")
        }
    }

    @Test("no [B, H, T, T] tensor and no c2p or p2c op is left", arguments: PassFixtures.modelVariants)
    func noQuadraticTensors(variant: String) throws {
        let (graph, config, _, _) = try Self.optimised(variant)
        // v1's talking heads mix heads around the softmax: no fused kernel, the unfused ops stay
        // (docs/passes.md); two mix_heads per layer and nothing fused.
        if config.talkingHead {
            #expect(graph.ops.filter { graph[op: $0].kind == .mixHeads }.count == 2 * config.numHiddenLayers)
            #expect(!graph.ops.contains { [.disentangledAttention, .disentangledAttentionQKV].contains(graph[op: $0].kind) })
            return
        }
        for id in graph.ops {
            let type = graph.type(of: graph[op: id].result)
            #expect(type.shape.filter { $0 == .seq }.count <= 1, "\(variant): '\(graph.printed(op: id))' is quadratic in T")
            #expect(![.attentionScores, .c2pScores, .p2cScores, .maskedSoftmax, .attentionContext].contains(graph[op: id].kind))
        }
        let attention = graph.ops.filter { graph[op: $0].kind == .disentangledAttentionQKV }
        #expect(attention.count == config.numHiddenLayers, "\(variant): one packed attention op per layer")
        for id in attention {
            let op = graph[op: id]
            #expect(op.attributes["c2p"] == .int(config.usesC2P ? 1 : 0))
            #expect(op.attributes["p2c"] == .int(config.usesP2C ? 1 : 0))
            #expect(op.attributes["scale"] == .float(1.0), "the scale is folded into the weights")
        }
    }

    @Test("hidden states keep their names", arguments: PassFixtures.modelVariants)
    func hiddenNames(variant: String) throws {
        let (graph, config, _, _) = try Self.optimised(variant)
        for i in 0...config.numHiddenLayers {
            #expect(graph.value(named: "hidden.\(i)") != nil, "\(variant): %hidden.\(i) is gone")
        }
        #expect(graph.outputs.map { graph.name(of: $0) } == ["logits"])
    }

    @Test("the optimised IR prints and parses back", arguments: PassFixtures.modelVariants)
    func roundTrip(variant: String) throws {
        let (graph, _, _, _) = try Self.optimised(variant)
        let text = graph.printed()
        let parsed = try Graph.parse(text)
        try parsed.verify()
        #expect(parsed.printed() == text)
    }

    @Test("statistics of the flagship-like fixture")
    func xxlargeStatistics() throws {
        let (graph, _, _, records) = try Self.optimised("xxlarge-toy")
        let stats = Dictionary(uniqueKeysWithValues: records.map { ($0.name, $0.statistics) })
        #expect(stats["fold-attention-scale"]?["attention scales folded"] == 2)
        #expect(stats["fuse-attention"]?["attention blocks fused"] == 2)
        #expect(stats["merge-qkv"]?["q/k/v projections merged"] == 2)
        #expect(stats["fuse-linear-epilogue"]?["activations fused"] == 3)  // 2 FFN GELUs + pooler
        #expect(stats["fold-masks"]?["masks removed"] == 1)               // ConvLayer masked_fill
        #expect(stats["fuse-add-layer-norm"]?["residual adds fused"] == 5)  // 2 per layer + conv
        #expect(stats["fuse-add-layer-norm"]?["masks fused"] == 2)          // embeddings + conv
        #expect((stats["fold-constants"]?["ops folded"] ?? 0) > 0)
        for record in records { print("xxlarge-toy \(record.name): \(record.statistics)") }
        print(graph.printed())
    }
}
