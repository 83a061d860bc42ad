/// Reads SentencePiece's `spm.model`, a serialized `sentencepiece.ModelProto`
/// (sentencepiece_model.proto; field numbers checked against the sentencepiece package's
/// `sentencepiece_model_pb2`):
///
/// ```
/// ModelProto        pieces = 1 (repeated SentencePiece), trainer_spec = 2, normalizer_spec = 3,
///                   denormalizer_spec = 5 (ignored)
/// SentencePiece     piece = 1 (string), score = 2 (float), type = 3 (enum Type, default NORMAL)
/// TrainerSpec       model_type = 3 (UNIGRAM = 1 default, BPE 2, WORD 3, CHAR 4),
///                   treat_whitespace_as_suffix = 24, byte_fallback = 35, unk_id = 40, bos_id = 41,
///                   eos_id = 42, pad_id = 43, unk_piece = 45, bos_piece = 46, eos_piece = 47, pad_piece = 48
/// NormalizerSpec    name = 1, precompiled_charsmap = 2 (bytes), add_dummy_prefix = 3 (default true),
///                   remove_extra_whitespaces = 4 (default true), escape_whitespaces = 5 (default true)
/// ```
///
/// Other fields are skipped whatever their wire type. As in protobuf, a repeated scalar keeps its
/// last value and a repeated message field is merged. Stricter than protobuf: a known field with
/// the wrong wire type, or an enum value outside its range, is an error (protobuf would keep it
/// as an unknown field and use the default). The model rules are SentencePiece's own
/// (`TokenizerModel.validate`).
public enum SentencePieceModelReader {
    /// Largest spm.model accepted (64 MiB; DeBERTa-v3's is 2.4 MB, mDeBERTa's 4.3 MB).
    public static let maximumFileBytes = 64 << 20

    /// Reads `path`, with the special tokens and flags of `config`.
    public static func read(path: String, config: TokenizerConfig = TokenizerConfig()) throws(TokenizerError) -> TokenizerModel {
        try read(bytes: try readFileBytes(path: path, limit: maximumFileBytes), path: path, config: config)
    }

    /// Reads a ModelProto from `bytes`; `path` labels errors and becomes part of `source`.
    public static func read(bytes: [UInt8], path: String, config: TokenizerConfig = TokenizerConfig()) throws(TokenizerError) -> TokenizerModel {
        guard bytes.count <= maximumFileBytes else { throw TokenizerError.tooLarge(file: path, size: bytes.count, limit: maximumFileBytes) }
        let proto = try SentencePieceProto(bytes: bytes, file: path)
        guard proto.modelType == 1 else {
            let name = [2: "BPE", 3: "WORD", 4: "CHAR"][proto.modelType] ?? "\(proto.modelType)"
            throw TokenizerError.unsupported(file: path, field: "trainer_spec.model_type", message: "is \(name), only UNIGRAM (1) models are supported")
        }
        let pieces = proto.pieces.map { TokenizerModel.Piece(text: $0.text, score: $0.score, type: $0.type) }
        let unkId = pieces.firstIndex { $0.type == .unknown }.map { Int32($0) } ?? -1
        var model = TokenizerModel(
            pieces: pieces, precompiledCharsmap: proto.precompiledCharsmap, addDummyPrefix: proto.addDummyPrefix,
            removeExtraWhitespaces: proto.removeExtraWhitespaces, escapeWhitespaces: proto.escapeWhitespaces,
            treatWhitespaceAsSuffix: proto.treatWhitespaceAsSuffix, byteFallback: proto.byteFallback,
            doLowerCase: config.doLowerCase, splitByPunct: config.splitByPunct,
            unkId: unkId, clsId: 0, sepId: 0, padId: -1, modelMaxLength: config.modelMaxLength,
            source: config.source.isEmpty ? path : path + ", " + config.source)
        // Piece rules first, with the byte offset of the offending piece.
        if !proto.precompiledCharsmap.isEmpty {
            try PrecompiledCharsmap.validate(proto.precompiledCharsmap, file: path, offset: proto.charsmapOffset)
        }
        try TokenizerModel.validatePieces(pieces, byteFallback: proto.byteFallback, file: path, field: "pieces") { proto.pieces[$0].offset }
        let specials = try config.resolveSpecialTokens(vocabulary: TokenizerModel.vocabulary(of: pieces), file: config.source.isEmpty ? path : config.source)
        model.specialTokens = specials.tokens
        model.clsId = specials.clsId
        model.sepId = specials.sepId
        model.padId = specials.padId
        try model.validate(checkingPieces: false, checkingCharsmap: false)
        return model
    }

    /// Whether `bytes` start like a ModelProto: the tag of field 1 (pieces), 2 (trainer_spec),
    /// 3 (normalizer_spec) or 5 (denormalizer_spec), length-delimited. SentencePiece writes
    /// the pieces first.
    public static func looksLikeModel(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first else { return false }
        return [0x0A, 0x12, 0x1A, 0x2A].contains(first)
    }
}

/// The fields of a ModelProto that debertac uses, each with SentencePiece's default.
struct SentencePieceProto {
    struct Piece {
        var text: String
        var score: Float
        var type: TokenizerModel.PieceType
        /// Where the piece's message starts in the file.
        var offset: Int
    }

    var pieces: [Piece] = []
    var modelType: Int32 = 1
    var treatWhitespaceAsSuffix = false
    var byteFallback = false
    var unkId: Int32 = 0, bosId: Int32 = 1, eosId: Int32 = 2, padId: Int32 = -1
    var unkPiece = "<unk>", bosPiece = "<s>", eosPiece = "</s>", padPiece = "<pad>"
    var normalizerName = ""
    var precompiledCharsmap: [UInt8] = []
    /// Where the charsmap's bytes start in the file.
    var charsmapOffset = 0
    var addDummyPrefix = true, removeExtraWhitespaces = true, escapeWhitespaces = true

    init(bytes: [UInt8], file: String) throws(TokenizerError) {
        var reader = ProtobufReader(bytes: bytes, file: file)
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                try reader.expect(field, .lengthDelimited, name: "pieces")
                guard pieces.count < TokenizerModel.maximumPieces else {
                    throw reader.malformed(at: field.offset, "more than \(TokenizerModel.maximumPieces) pieces")
                }
                let range = try reader.readLengthDelimited()
                pieces.append(try Self.piece(reader.message(range), index: pieces.count, offset: field.offset))
            case 2:
                try reader.expect(field, .lengthDelimited, name: "trainer_spec")
                var message = reader.message(try reader.readLengthDelimited())
                try readTrainerSpec(&message)
            case 3:
                try reader.expect(field, .lengthDelimited, name: "normalizer_spec")
                var message = reader.message(try reader.readLengthDelimited())
                try readNormalizerSpec(&message)
            default:
                try reader.skip(field)
            }
        }
    }

    private static func piece(_ message: ProtobufReader, index: Int, offset: Int) throws(TokenizerError) -> Piece {
        var reader = message
        var piece = Piece(text: "", score: 0, type: .normal, offset: offset)
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                try reader.expect(field, .lengthDelimited, name: "piece")
                piece.text = try reader.string(field, name: "piece \(index)")
            case 2:
                try reader.expect(field, .fixed32, name: "score")
                piece.score = Float(bitPattern: try reader.readFixed32())
                guard piece.score.isFinite else {
                    throw reader.malformed(at: field.offset, "piece \(index) has score \(piece.score), expected a finite number")
                }
            case 3:
                try reader.expect(field, .varint, name: "type")
                let raw = try reader.int32(field)
                guard raw >= 1, raw <= 6, let type = TokenizerModel.PieceType(rawValue: UInt8(raw)) else {
                    throw reader.malformed(at: field.offset, "piece \(index) has type \(raw), expected 1-6 (NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE)")
                }
                piece.type = type
            default:
                try reader.skip(field)
            }
        }
        return piece
    }

    private mutating func readTrainerSpec(_ reader: inout ProtobufReader) throws(TokenizerError) {
        while let field = try reader.nextField() {
            switch field.number {
            case 3:
                try reader.expect(field, .varint, name: "model_type")
                modelType = try reader.int32(field)
                guard (1...4).contains(modelType) else {
                    throw reader.malformed(at: field.offset, "trainer_spec.model_type is \(modelType), expected 1-4 (UNIGRAM, BPE, WORD, CHAR)")
                }
            case 24: treatWhitespaceAsSuffix = try reader.bool(field, name: "treat_whitespace_as_suffix")
            case 35: byteFallback = try reader.bool(field, name: "byte_fallback")
            case 40: try reader.expect(field, .varint, name: "unk_id"); unkId = try reader.int32(field)
            case 41: try reader.expect(field, .varint, name: "bos_id"); bosId = try reader.int32(field)
            case 42: try reader.expect(field, .varint, name: "eos_id"); eosId = try reader.int32(field)
            case 43: try reader.expect(field, .varint, name: "pad_id"); padId = try reader.int32(field)
            case 45: try reader.expect(field, .lengthDelimited, name: "unk_piece"); unkPiece = try reader.string(field, name: "unk_piece")
            case 46: try reader.expect(field, .lengthDelimited, name: "bos_piece"); bosPiece = try reader.string(field, name: "bos_piece")
            case 47: try reader.expect(field, .lengthDelimited, name: "eos_piece"); eosPiece = try reader.string(field, name: "eos_piece")
            case 48: try reader.expect(field, .lengthDelimited, name: "pad_piece"); padPiece = try reader.string(field, name: "pad_piece")
            default: try reader.skip(field)
            }
        }
    }

    private mutating func readNormalizerSpec(_ reader: inout ProtobufReader) throws(TokenizerError) {
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                try reader.expect(field, .lengthDelimited, name: "name")
                normalizerName = try reader.string(field, name: "normalizer_spec.name")
            case 2:
                try reader.expect(field, .lengthDelimited, name: "precompiled_charsmap")
                let range = try reader.readLengthDelimited()
                precompiledCharsmap = Array(reader.bytes[range])
                charsmapOffset = range.lowerBound
            case 3: addDummyPrefix = try reader.bool(field, name: "add_dummy_prefix")
            case 4: removeExtraWhitespaces = try reader.bool(field, name: "remove_extra_whitespaces")
            case 5: escapeWhitespaces = try reader.bool(field, name: "escape_whitespaces")
            default: try reader.skip(field)
            }
        }
    }
}

extension ProtobufReader {
    /// A length-delimited UTF-8 string; `name` labels errors.
    mutating func string(_ field: Field, name: String) throws(TokenizerError) -> String {
        let range = try readLengthDelimited()
        guard let text = String(validating: bytes[range], as: UTF8.self) else {
            throw malformed(at: field.offset, "\(name) is not valid UTF-8")
        }
        return text
    }

    /// An int32 or enum varint: protobuf writes negative values as 10-byte varints and readers
    /// keep the low 32 bits.
    mutating func int32(_ field: Field) throws(TokenizerError) -> Int32 {
        Int32(truncatingIfNeeded: try readVarint())
    }

    /// A bool varint (any non-zero value is true, as protobuf).
    mutating func bool(_ field: Field, name: String) throws(TokenizerError) -> Bool {
        try expect(field, .varint, name: name)
        return try readVarint() != 0
    }
}
