@testable import DebertacTokenizer
import DebertacFrontend
import Testing

@Suite struct TokenizerJSONReaderTests {
    /// A small tokenizer.json as transformers' DebertaV2Converter writes it, with `edit` applied.
    static func document(_ edit: (inout [String: String]) -> Void = { _ in }) -> [UInt8] {
        var parts: [String: String] = [
            "model": #"{"type": "Unigram", "unk_id": 3, "vocab": [["[PAD]", 0.0], ["[CLS]", 0.0], ["[SEP]", 0.0], ["[UNK]", 0.0], ["▁", -2.0], ["▁a", -3.0], ["b", -4.5], ["<0x41>", 0.0]], "byte_fallback": false}"#,
            "added_tokens": #"[{"id": 0, "content": "[PAD]", "special": true}, {"id": 1, "content": "[CLS]", "special": true}, {"id": 2, "content": "[SEP]", "special": true}, {"id": 3, "content": "[UNK]", "special": true}, {"id": 8, "content": "[MASK]", "special": true, "lstrip": true}]"#,
            "normalizer": #"{"type": "Sequence", "normalizers": [{"type": "Strip", "strip_left": true, "strip_right": true}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}"#,
            "pre_tokenizer": #"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}"#,
            "post_processor": #"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}], "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}], "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}}}"#,
            "padding": "null",
        ]
        edit(&parts)
        let body = parts.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
        return Array("{\"version\": \"1.0\", \(body)}".utf8)
    }

    func read(_ bytes: [UInt8]) throws(TokenizerError) -> TokenizerModel {
        try TokenizerJSONReader.read(bytes: bytes, path: "tokenizer.json")
    }

    func unsupported(_ edit: (inout [String: String]) -> Void) -> (field: String, message: String)? {
        guard case let .unsupported(_, field, message) = tokenizerError({ _ = try read(Self.document(edit)) }) else { return nil }
        return (field, message)
    }

    @Test func converterOutputMapsOntoASentencePieceModel() throws {
        let model = try read(Self.document())
        #expect(model.pieces.map(\.type) == [.control, .control, .control, .unknown, .normal, .normal, .normal, .normal])
        #expect(model.pieces[6].score == -4.5)
        #expect((model.unkId, model.clsId, model.sepId, model.padId) == (3, 1, 2, 0))
        #expect(model.removeExtraWhitespaces && model.addDummyPrefix && model.escapeWhitespaces)
        #expect(!model.doLowerCase && !model.splitByPunct && !model.byteFallback && model.precompiledCharsmap.isEmpty)
        #expect(model.specialTokens.map(\.text) == ["[CLS]", "[MASK]", "[PAD]", "[SEP]", "[UNK]"])
        #expect(model.specialTokens[1] == .init(text: "[MASK]", id: 8, lstrip: true))
        #expect(model.vocabLimit == 9)
        #expect(try TokenizerModel(blob: model.serialized(), source: model.source) == model)
    }

    @Test func nonSpecialAddedTokensInTheVocabularyAreUserDefined() throws {
        let model = try read(Self.document {
            $0["added_tokens"] = #"[{"id": 1, "content": "[CLS]", "special": true}, {"id": 6, "content": "b", "special": false}]"#
        })
        #expect(model.pieces[6].type == .userDefined && model.pieces[1].type == .control && model.pieces[0].type == .normal)
        #expect(model.specialTokens.map(\.text) == ["[CLS]", "b"])
    }

    @Test func byteFallbackMakesByteEntriesBytePieces() throws {
        let vocab = (["[UNK]", "▁", "a"] + (0..<256).map { "<0x\(hex2(UInt8($0)))>" }).map { "[\"\($0)\", -1.0]" }.joined(separator: ", ")
        let model = try read(Self.document {
            $0["model"] = #"{"type": "Unigram", "unk_id": 0, "byte_fallback": true, "vocab": [\#(vocab)]}"#
            $0["added_tokens"] = "[]"
            $0["post_processor"] = #"{"type": "BertProcessing", "sep": ["a", 2], "cls": ["▁", 1]}"#
            $0["padding"] = #"{"pad_id": 0, "pad_token": "[UNK]"}"#
        })
        #expect(model.byteFallback && model.pieces[3 + 0x41] == .init(text: "<0x41>", score: -1, type: .byte))
        #expect((model.clsId, model.sepId, model.padId) == (1, 2, 0))
    }

    @Test func lowercasePunctuationAndCharsmapAreRead() throws {
        let charsmap = PrecompiledCharsmapTests.oneRule()
        let model = try read(Self.document {
            $0["normalizer"] = #"{"type": "Sequence", "normalizers": [{"type": "Lowercase"}, {"type": "Strip", "strip_left": true, "strip_right": true}, {"type": "Precompiled", "precompiled_charsmap": "\#(base64(charsmap))"}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}"#
            $0["pre_tokenizer"] = #"{"type": "Sequence", "pretokenizers": [{"type": "Punctuation", "behavior": "Isolated"}, {"type": "Metaspace", "replacement": "▁", "add_prefix_space": false}]}"#
        })
        #expect(model.doLowerCase && model.splitByPunct && !model.addDummyPrefix)
        #expect(model.precompiledCharsmap == charsmap)
    }

    @Test func nullNormalizerKeepsWhitespace() throws {
        #expect(try !read(Self.document { $0["normalizer"] = "null" }).removeExtraWhitespaces)
    }

    @Test(arguments: ["NFD", "NFKC", "BertNormalizer", "StripAccents", "Prepend"])
    func unsupportedNormalizersAreNamed(name: String) {
        let error = unsupported { $0["normalizer"] = #"{"type": "Sequence", "normalizers": [{"type": "Strip"}, {"type": "\#(name)"}]}"# }
        #expect(error?.field == "normalizer.normalizers[1]")
        #expect(error?.message == "normalizer '\(name)' is not supported")
    }

    @Test func otherModelsAndPipelinesAreUnsupported() {
        #expect(unsupported { $0["model"] = #"{"type": "WordPiece", "vocab": {}}"# }?.message == "is 'WordPiece', only 'Unigram' and 'BPE' models are supported")
        #expect(unsupported { $0["pre_tokenizer"] = #"{"type": "ByteLevel"}"# }?.message == "pre-tokenizer 'ByteLevel' is not supported")
        #expect(unsupported { $0["pre_tokenizer"] = #"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first"}"# }?.message.hasPrefix("Metaspace prepend_scheme 'first' is not supported") == true)
        #expect(unsupported { $0["pre_tokenizer"] = #"{"type": "Metaspace", "replacement": "_"}"# } != nil)
        #expect(unsupported { $0["pre_tokenizer"] = "null" } != nil)
        #expect(unsupported { $0["post_processor"] = "null" } != nil)
        #expect(unsupported { $0["post_processor"] = #"{"type": "RobertaProcessing"}"# }?.message == "post-processor 'RobertaProcessing' is not supported, expected TemplateProcessing")
        #expect(unsupported { $0["normalizer"] = #"{"type": "Replace", "pattern": {"String": "a"}, "content": "b"}"# } != nil)
        #expect(unsupported { $0["model"] = #"{"type": "Unigram", "unk_id": null, "vocab": [["a", 0.0]]}"# }?.message.hasPrefix("is null") == true)
        #expect(unsupported {
            $0["pre_tokenizer"] = #"{"type": "Sequence", "pretokenizers": [{"type": "Metaspace", "replacement": "▁"}, {"type": "Punctuation"}]}"#
        } != nil)
        // A template other than [CLS] A [SEP] (B [SEP]).
        #expect(unsupported {
            $0["post_processor"] = #"{"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}}], "pair": [], "special_tokens": {}}"#
        }?.message.hasPrefix("template 'single' differs") == true)
    }

    @Test func badBase64IsRejectedWithItsPosition() {
        let error = tokenizerError {
            _ = try read(Self.document { $0["normalizer"] = #"{"type": "Precompiled", "precompiled_charsmap": "AAA*"}"# })
        }
        #expect(error == .field(file: "tokenizer.json", field: "normalizer.precompiled_charsmap", message: "invalid base64 at character 3: character 0x2A is not base64"))
    }

    @Test func malformedCharsmapInsideTheJSONIsRejected() {
        let error = tokenizerError {
            _ = try read(Self.document { $0["normalizer"] = #"{"type": "Precompiled", "precompiled_charsmap": "\#(base64(PrecompiledCharsmapTests.oneRule(value: 9)))"}"# })
        }
        guard case let .field(_, field, message) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(field == "normalizer.precompiled_charsmap" && message.contains("past the 2-byte targets"))
    }

    @Test func structuralErrorsNameTheField() {
        let cases: [((inout [String: String]) -> Void, String)] = [
            ({ $0["model"] = #"{"type": "Unigram", "unk_id": 0, "vocab": [["a", "x"]]}"# }, "model.vocab"),
            ({ $0["model"] = #"{"type": "Unigram", "unk_id": 5, "vocab": [["a", 0.0]]}"# }, "model.unk_id"),
            ({ $0["model"] = #"{"type": "Unigram", "unk_id": 0, "vocab": [["u", 0.0], ["a", 0.0], ["a", -1.0]]}"#; $0["added_tokens"] = "[]" }, "model.vocab"),
            ({ $0["added_tokens"] = #"[{"id": 2, "content": "[CLS]", "special": true}]"# }, "added_tokens"),
            ({ $0["added_tokens"] = #"[{"id": -1, "content": "x"}]"# }, "added_tokens[0]"),
            ({ $0["added_tokens"] = #"[{"id": 20, "content": "x"}, {"id": 21, "content": "x"}]"# }, "added_tokens"),
            ({ $0["padding"] = #"{"pad_id": "zero"}"# }, "padding.pad_id"),
        ]
        for (edit, field) in cases {
            let error = tokenizerError { _ = try read(Self.document(edit)) }
            guard case let .field(_, actual, _) = error else { Issue.record("expected a field error for \(field), got \(String(describing: error))"); continue }
            #expect(actual == field)
        }
    }

    @Test func invalidJSONGivesItsOffset() {
        #expect(throws: TokenizerError.json(file: "tokenizer.json", offset: 1, message: "expected a string key")) { _ = try read(Array("{,}".utf8)) }
    }
}

/// Standard padded base64, for building test documents.
func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    var out = ""
    var index = 0
    while index < bytes.count {
        let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
        let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * UInt32($1.offset)) }
        for k in 0..<4 {
            out.append(k <= chunk.count ? alphabet[Int((value >> (18 - 6 * UInt32(k))) & 63)] : "=")
        }
        index += 3
    }
    return out
}
