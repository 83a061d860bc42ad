@testable import DebertacTokenizer
import DebertacFrontend
import Testing

/// tokenizer_config.json, added_tokens.json and special_tokens_map.json, and the ids
/// transformers 4.x gives special tokens.
@Suite struct TokenizerConfigTests {
    func config(_ text: String?, map: String? = nil, added: String? = nil) throws -> TokenizerConfig {
        func parse(_ text: String?, _ file: String) throws -> (JSONValue, String)? {
            guard let text else { return nil }
            return (try JSONParser.parse(Array(text.utf8)), file)
        }
        return try TokenizerConfig(tokenizerConfig: parse(text, "tokenizer_config.json"), specialTokensMap: parse(map, "special_tokens_map.json"),
                                   addedTokens: parse(added, "added_tokens.json"))
    }

    /// The small model's pieces: [PAD] 0, [CLS] 1, [SEP] 2, [UNK] 3, then 5 more (9 pieces).
    func model(_ config: TokenizerConfig) throws -> TokenizerModel { try SPMBuilder().read(config: config) }

    @Test func defaultsAreDebertaV2Tokenizers() throws {
        let config = TokenizerConfig()
        #expect(!config.doLowerCase && !config.splitByPunct && config.modelMaxLength == nil)
        #expect(TokenizerConfig.Role.allCases.map { config.token($0)?.content } == ["[CLS]", "[SEP]", "[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"])
    }

    @Test func flagsAndModelMaxLength() throws {
        let c = try config(#"{"do_lower_case": true, "split_by_punct": true, "model_max_length": 512, "vocab_type": "spm"}"#)
        #expect(c.doLowerCase && c.splitByPunct && c.modelMaxLength == 512)
        // The "no limit" sentinels transformers saves, and values that do not fit an Int32, are absent.
        for value in ["1e30", "1000000000000000019884624838656", "2147483648", "0", "-5", "12.5", "null"] {
            #expect(try config(#"{"model_max_length": \#(value)}"#).modelMaxLength == nil, "\(value)")
        }
        #expect(try config(#"{"model_max_length": 2147483647}"#).modelMaxLength == Int32.max)
    }

    @Test func wrongTypesNameTheField() {
        #expect(throws: TokenizerError.field(file: "tokenizer_config.json", field: "do_lower_case", message: "is a string, expected true or false")) {
            _ = try config(#"{"do_lower_case": "yes"}"#)
        }
        #expect(throws: TokenizerError.field(file: "tokenizer_config.json", field: "model_max_length", message: "is a string, expected a number")) {
            _ = try config(#"{"model_max_length": "512"}"#)
        }
        #expect(throws: TokenizerError.field(file: "tokenizer_config.json", field: "(top level)", message: "is a array, expected an object")) {
            _ = try config("[]")
        }
        #expect(throws: TokenizerError.field(file: "tokenizer_config.json", field: "mask_token", message: "is a number, expected a string or an AddedToken object")) {
            _ = try config(#"{"mask_token": 5}"#)
        }
        #expect(throws: TokenizerError.self) { _ = try config(#"{"added_tokens_decoder": {"x": {"content": "a"}}}"#) }
        #expect(throws: TokenizerError.self) { _ = try config(nil, added: #"{"[MASK]": -1}"#) }
    }

    @Test func legacyConfigAddsMaskAfterThePieces() throws {
        let m = try model(try config(#"{"do_lower_case": false, "vocab_type": "spm"}"#))
        #expect(m.specialTokens == [
            .init(text: "[CLS]", id: 1), .init(text: "[MASK]", id: 9), .init(text: "[PAD]", id: 0),
            .init(text: "[SEP]", id: 2), .init(text: "[UNK]", id: 3),
        ])
    }

    @Test func addedTokensDecoderGivesIdsAndFlags() throws {
        let c = try config(#"""
        {"added_tokens_decoder": {
            "0": {"content": "[PAD]", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true},
            "1": {"content": "[CLS]", "special": true},
            "2": {"content": "[SEP]", "special": true},
            "3": {"content": "[UNK]", "special": true},
            "20": {"content": "[MASK]", "lstrip": true, "rstrip": false, "single_word": false, "special": true},
            "21": {"content": "<ent>", "rstrip": true, "single_word": true, "special": false}},
         "mask_token": "[MASK]", "additional_special_tokens": ["<extra>"]}
        """#, map: #"{"mask_token": "[OTHER]"}"#)
        let m = try model(c)
        #expect(m.specialTokens.first { $0.text == "[MASK]" } == .init(text: "[MASK]", id: 20, lstrip: true))
        #expect(m.specialTokens.first { $0.text == "<ent>" } == .init(text: "<ent>", id: 21, rstrip: true, singleWord: true))
        // The next id after the vocabulary and the decoder's distinct texts (9 pieces + [MASK] + <ent>).
        #expect(m.specialTokens.first { $0.text == "<extra>" }?.id == 11)
        // special_tokens_map.json is ignored when the decoder is saved (transformers 4.34+).
        #expect(!m.specialTokens.contains { $0.text == "[OTHER]" })
        #expect(m.vocabLimit == 22)
    }

    @Test func addedTokenObjectsInEitherSpelling() throws {
        let c = try config(#"""
        {"mask_token": {"__type": "AddedToken", "content": "[MASK]", "lstrip": true, "normalized": true, "rstrip": false, "single_word": false},
         "sep_token": {"content": "[SEP]", "rstrip": true},
         "pad_token": null}
        """#)
        #expect(c.token(.mask) == .init(content: "[MASK]", lstrip: true))
        #expect(c.token(.sep) == .init(content: "[SEP]", rstrip: true))
        #expect(c.token(.pad) == nil)
        #expect(throws: TokenizerError.field(file: "tokenizer_config.json", field: "mask_token", message: #"has '__type' "Other", expected "AddedToken""#)) {
            _ = try config(#"{"mask_token": {"__type": "Other", "content": "x"}}"#)
        }
        // pad_token null: the blob needs a pad id.
        #expect(throws: TokenizerError.field(file: "tokenizer_config.json", field: "pad_token", message: "is null, expected a token such as '[PAD]'")) {
            _ = try model(c)
        }
        var withPad = c
        withPad.roles[.pad] = .some(.init(content: "[PAD]"))
        let m = try model(withPad)
        // [SEP] is in the vocabulary (id 2). eos_token (default "[SEP]", no flags) comes before
        // sep_token in transformers' order and wins the text, so the configured rstrip is lost,
        // as in transformers. [MASK] is new, with its flags.
        #expect(m.specialTokens.first { $0.text == "[SEP]" } == .init(text: "[SEP]", id: 2))
        #expect(m.specialTokens.first { $0.text == "[MASK]" } == .init(text: "[MASK]", id: 9, lstrip: true))
    }

    @Test func legacySpecialTokensMapAndAddedTokensJSON() throws {
        let c = try config(#"{"do_lower_case": false}"#,
                           map: #"{"mask_token": {"content": "[MASK]", "lstrip": true}, "cls_token": "[CLS]", "additional_special_tokens": ["<a>", {"content": "<b>", "rstrip": true}]}"#,
                           added: #"{"[MASK]": 9, "<a>": 10}"#)
        let m = try model(c)
        // added_tokens.json gives the ids (and no stripping: the decoder's entry wins).
        #expect(m.specialTokens.first { $0.text == "[MASK]" } == .init(text: "[MASK]", id: 9))
        #expect(m.specialTokens.first { $0.text == "<a>" }?.id == 10)
        #expect(m.specialTokens.first { $0.text == "<b>" } == .init(text: "<b>", id: 11, rstrip: true))
    }

    @Test func clsOrSepNullIsAnError() throws {
        #expect(throws: TokenizerError.field(file: "tokenizer_config.json", field: "cls_token", message: "is null, expected a token such as '[CLS]'")) {
            _ = try model(try config(#"{"cls_token": null}"#))
        }
        let m = try model(try config(#"{"cls_token": "<s>", "sep_token": "</s>"}"#))
        #expect(m.clsId != m.sepId && m.clsId >= 9 && m.sepId >= 9)
        // bos/eos keep their defaults, so [CLS] and [SEP] stay special tokens too.
        #expect(m.specialTokens.map(\.text) == ["</s>", "<s>", "[CLS]", "[MASK]", "[PAD]", "[SEP]", "[UNK]"])
    }

    @Test func missingFilesLoadAsDefaults() throws {
        let folder = try ScratchFolder()
        #expect(try TokenizerConfig.load(directory: folder.path) == TokenizerConfig())
        try folder.write("tokenizer_config.json", "{")
        #expect(throws: TokenizerError.json(file: folder.path + "/tokenizer_config.json", offset: 1, message: "expected a string key")) {
            _ = try TokenizerConfig.load(directory: folder.path)
        }
    }
}
