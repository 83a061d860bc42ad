// Byte-level writers for the tokenizer part of the hostile-input catalogue: a small valid
// SentencePiece model and tokenizer.json that fit examples/tiny-nli (vocab_size 96), built so
// that each case can break exactly one thing in them.

/// Protobuf wire format, enough to write a SentencePiece `ModelProto`.
struct ProtobufWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ wireType: UInt8) { varint(UInt64(field) << 3 | UInt64(wireType)) }

    mutating func varintField(_ field: Int, _ value: Int64) {
        tag(field, 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func bytesField(_ field: Int, _ data: [UInt8]) {
        tag(field, 2)
        varint(UInt64(data.count))
        bytes += data
    }

    mutating func floatField(_ field: Int, _ value: Float) {
        tag(field, 5)
        bytes += le32(Int(value.bitPattern))
    }
}

/// A SentencePiece Unigram model: `[PAD] [CLS] [SEP]` (CONTROL), `[UNK]` (UNKNOWN), five
/// NORMAL pieces. `[MASK]` is not a piece, so transformers' rules give it id 9: ids 0...9.
struct SentencePieceWriter {
    /// Piece text (raw bytes, so it may be invalid UTF-8), score, SentencePiece type (1 NORMAL,
    /// 2 UNKNOWN, 3 CONTROL).
    var pieces: [(text: [UInt8], score: Float, type: Int)] = ([
        ("[PAD]", 0, 3), ("[CLS]", 0, 3), ("[SEP]", 0, 3), ("[UNK]", 0, 2),
        ("▁", -2, 1), ("▁a", -3, 1), ("b", -4, 1), ("▁ab", -5, 1), ("c", -6, 1),
    ] as [(String, Float, Int)]).map { (Array($0.0.utf8), $0.1, $0.2) }
    /// `trainer_spec.model_type` when set (1 UNIGRAM, 2 BPE).
    var modelType: Int64?
    /// `normalizer_spec.precompiled_charsmap` when set.
    var charsmap: [UInt8]?

    /// The serialized pieces alone (field 1 of ModelProto), in order.
    var pieceFields: [UInt8] {
        var model = ProtobufWriter()
        for piece in pieces {
            var message = ProtobufWriter()
            message.bytesField(1, piece.text)
            message.floatField(2, piece.score)
            if piece.type != 1 { message.varintField(3, Int64(piece.type)) }
            model.bytesField(1, message.bytes)
        }
        return model.bytes
    }

    /// `pieceFields`, then any raw fields, then the trainer and normalizer specs.
    func bytes(extraFields: [UInt8] = []) -> [UInt8] {
        var model = ProtobufWriter(bytes: pieceFields + extraFields)
        var trainer = ProtobufWriter()
        if let modelType { trainer.varintField(3, modelType) }
        trainer.varintField(4, Int64(pieces.count))
        trainer.varintField(40, 3)
        model.bytesField(2, trainer.bytes)
        var normalizer = ProtobufWriter()
        normalizer.bytesField(1, Array((charsmap == nil ? "identity" : "custom").utf8))
        if let charsmap { normalizer.bytesField(2, charsmap) }
        model.bytesField(3, normalizer.bytes)
        return model.bytes
    }

    var bytes: [UInt8] { bytes() }
}

/// A `tokenizers` library tokenizer.json of the same Unigram model (what transformers'
/// DebertaV2Converter writes), with the parts a case may replace as JSON text.
struct TokenizerJSONWriter {
    var modelType = "Unigram"
    /// `model.vocab` entries, each a JSON `[piece, score]` pair.
    var vocab = [#"["[PAD]", 0.0]"#, #"["[CLS]", 0.0]"#, #"["[SEP]", 0.0]"#, #"["[UNK]", 0.0]"#,
                 #"["▁", -2.0]"#, #"["▁a", -3.0]"#, #"["b", -4.0]"#, #"["▁ab", -5.0]"#, #"["c", -6.0]"#]
    /// `added_tokens` as (id, content).
    var addedTokens: [(Int, String)] = [(0, "[PAD]"), (1, "[CLS]"), (2, "[SEP]"), (3, "[UNK]"), (9, "[MASK]")]
    var normalizer = "null"

    var text: String {
        let added = addedTokens.map { #"{"id": \#($0.0), "content": "\#($0.1)", "special": true}"# }
        let special = { (name: String, type: Int) in #"{"SpecialToken": {"id": "\#(name)", "type_id": \#(type)}}"# }
        let sequence = { (name: String, type: Int) in #"{"Sequence": {"id": "\#(name)", "type_id": \#(type)}}"# }
        return """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [\(added.joined(separator: ", "))],
             "normalizer": \(normalizer),
             "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
             "post_processor": {"type": "TemplateProcessing",
               "single": [\(special("[CLS]", 0)), \(sequence("A", 0)), \(special("[SEP]", 0))],
               "pair": [\(special("[CLS]", 0)), \(sequence("A", 0)), \(special("[SEP]", 0)), \(sequence("B", 1)), \(special("[SEP]", 1))],
               "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]},
                                  "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}}},
             "decoder": null,
             "model": {"type": "\(modelType)", "unk_id": 3, "byte_fallback": false, "vocab": [\(vocab.joined(separator: ", "))]}}
            """
    }

    var bytes: [UInt8] { Array(text.utf8) }
}
