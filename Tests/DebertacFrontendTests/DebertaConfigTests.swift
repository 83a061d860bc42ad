@testable import DebertacFrontend
import Testing

@Suite struct DebertaConfigTests {
    func parse(_ text: String) throws -> DebertaConfig {
        try DebertaConfig(json: JSONParser.parse(Array(text.utf8)), file: "config.json")
    }

    @Test func missingFieldsTakeTransformersDefaults() throws {
        let config = try parse(#"{"model_type": "deberta-v2"}"#)
        #expect(config.vocabSize == 128_100 && config.hiddenSize == 1536 && config.numHiddenLayers == 24)
        #expect(config.relativeAttention == false && config.positionBiasedInput == true)
        #expect(config.maxRelativePositions == -1 && config.effectiveMaxRelativePositions == 512)
        #expect(config.positionBuckets == -1 && config.attentionSpan == 512)
        #expect(config.convKernelSize == 0 && config.convAct == "tanh" && config.convGroups == 1)
        #expect(config.normRelEbd == ["none"] && config.shareAttKey == false && config.posAttType == [])
        #expect(config.poolerHiddenAct == "gelu" && config.effectivePoolerHiddenSize == 1536)
        #expect(config.labels == ["LABEL_0", "LABEL_1"] && config.layerNormEps == 1e-7)
        #expect(config.headSize == 64 && config.effectiveEmbeddingSize == 1536)
    }

    @Test func v1MissingFieldsTakeDebertaConfigDefaults() throws {
        let config = try parse(#"{"model_type": "deberta"}"#)
        #expect(config.family == .v1)
        #expect(config.vocabSize == 50_265 && config.hiddenSize == 768 && config.numHiddenLayers == 12)
        #expect(config.numAttentionHeads == 12 && config.intermediateSize == 3072 && config.headSize == 64)
        #expect(config.relativeAttention == false && config.positionBiasedInput == true && config.talkingHead == false)
        #expect(config.effectiveMaxRelativePositions == 512 && config.attentionSpan == 512 && config.posAttType == [])
        #expect(config.poolerHiddenAct == "gelu" && config.layerNormEps == 1e-7 && config.typeVocabSize == 0)
    }

    @Test func v1IgnoresV2OnlyKeysAndCountsEveryPosAttTypeEntry() throws {
        let config = try parse("""
            {"model_type": "deberta", "hidden_size": 32, "num_attention_heads": 4, "attention_head_size": 16,
             "relative_attention": true, "position_buckets": 8, "norm_rel_ebd": "layer_norm", "share_att_key": true,
             "conv_kernel_size": 3, "pos_att_type": "c2p|p2c|p2p", "max_relative_positions": 4, "talking_head": true}
            """)
        #expect(config.headSize == 8 && config.positionBuckets == -1 && config.attentionSpan == 4)
        #expect(!config.normalizesRelativeEmbeddings && !config.shareAttKey && !config.hasConv)
        #expect(config.attentionScaleFactor == 4 && config.talkingHead)  // 1 + len(pos_att_type)
        let names = ExpectedTensors.entries(for: config).map(\.name)
        #expect(names.contains("deberta.encoder.layer.0.attention.self.in_proj.weight"))
        #expect(names.contains("deberta.encoder.layer.0.attention.self.head_logits_proj.weight"))
        #expect(names.contains("deberta.encoder.layer.0.attention.self.head_weights_proj.weight"))
        #expect(!names.contains { $0.contains("query_proj") || $0.hasSuffix("encoder.LayerNorm.weight") })
    }

    @Test func v1FromArchitecturesWithoutModelType() throws {
        #expect(try parse(#"{"architectures": ["DebertaForSequenceClassification"]}"#).family == .v1)
        #expect(try parse(#"{"architectures": ["DebertaV2ForSequenceClassification"]}"#).family == .v2)
        #expect(try parse(#"{}"#).family == .v2)
    }

    @Test func flagshipConfig() throws {
        let config = try parse("""
            {"model_type": "deberta-v2", "hidden_size": 1536, "num_hidden_layers": 48, "num_attention_heads": 24,
             "intermediate_size": 6144, "vocab_size": 128100, "relative_attention": true, "position_buckets": 256,
             "norm_rel_ebd": "layer_norm", "share_att_key": true, "pos_att_type": "p2c|c2p", "layer_norm_eps": 1e-7,
             "conv_kernel_size": 3, "conv_act": "gelu", "position_biased_input": false, "type_vocab_size": 0,
             "max_relative_positions": -1, "max_position_embeddings": 512,
             "id2label": {"0": "CONTRADICTION", "1": "NEUTRAL", "2": "ENTAILMENT"},
             "label2id": {"CONTRADICTION": 0, "ENTAILMENT": 2, "NEUTRAL": 1}, "torch_dtype": "float16"}
            """)
        #expect(config.posAttType == ["p2c", "c2p"] && config.usesC2P && config.usesP2C)
        #expect(config.attentionSpan == 256 && config.normalizesRelativeEmbeddings && config.hasConv)
        #expect(config.labels == ["CONTRADICTION", "NEUTRAL", "ENTAILMENT"] && config.attentionScaleFactor == 3)
    }

    @Test func posAttTypeAsListAndUnorderedLabels() throws {
        let config = try parse(#"{"pos_att_type": ["c2p"], "id2label": {"1": "b", "0": "a"}, "num_labels": 2}"#)
        #expect(config.posAttType == ["c2p"] && !config.usesC2P)  // relative_attention defaults to false
        #expect(config.attentionScaleFactor == 2)
        #expect(config.labels == ["a", "b"])
    }

    @Test func numLabelsWithoutId2Label() throws {
        #expect(try parse(#"{"num_labels": 1}"#).labels == ["LABEL_0"])
    }

    @Test(arguments: [
        (#"{"hidden_size": "big"}"#, "hidden_size"),
        (#"{"num_hidden_layers": 0}"#, "num_hidden_layers"),
        (#"{"model_type": "bert"}"#, "model_type"),
        (#"{"pos_att_type": 3}"#, "pos_att_type"),
        (#"{"id2label": {"0": "a", "2": "b"}}"#, "id2label"),
        (#"{"id2label": {"0": "a"}, "num_labels": 3}"#, "num_labels"),
        (#"{"layer_norm_eps": -1}"#, "layer_norm_eps"),
        (#"{"relative_attention": "yes"}"#, "relative_attention"),
        (#"[1, 2]"#, "(top level)"),
    ])
    func invalidFieldsAreNamed(text: String, field: String) throws {
        #expect {
            _ = try parse(text)
        } throws: { error in
            guard case let .config(_, name, _) = error as? CheckpointError else { return false }
            return name == field
        }
    }
}

@Suite struct JSONParserTests {
    @Test func parsesNestedValues() throws {
        let value = try JSONParser.parse(Array(#"{"a": [1, -2.5e3, "x\u00e9\n", true, null], "b": {}}"#.utf8))
        #expect(value["a"] == .array([.int(1), .double(-2500), .string("xé\n"), .bool(true), .null]))
        #expect(value["b"] == .object([]))
    }

    @Test func integersStayExactTo64Bits() throws {
        #expect(try JSONParser.parse(Array("9223372036854775807".utf8)) == .int(Int.max))
    }

    @Test func roundTripsThroughSerialization() throws {
        let text = #"{"k": [1, 2.5, "q\"\\", false], "z": null}"#
        let value = try JSONParser.parse(Array(text.utf8))
        #expect(try JSONParser.parse(Array(value.serialized().utf8)) == value)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "\"\\x\"", "[1] 2", "\"\u{01}\"", "tru", "{\"a\":1,\"a\":2}"])
    func rejectsMalformedText(text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Array(text.utf8)) }
    }
}
