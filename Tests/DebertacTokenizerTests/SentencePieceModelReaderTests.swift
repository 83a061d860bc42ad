@testable import DebertacTokenizer
import Testing

@Suite struct SentencePieceModelReaderTests {
    @Test func smallModelReadsWithDefaults() throws {
        let model = try SPMBuilder().read()
        #expect(model.pieces.count == 9)
        #expect(model.pieces[5] == .init(text: "▁a", score: -3, type: .normal))
        #expect(model.unkId == 3 && model.clsId == 1 && model.sepId == 2 && model.padId == 0)
        #expect(model.addDummyPrefix && model.removeExtraWhitespaces && model.escapeWhitespaces)
        #expect(!model.treatWhitespaceAsSuffix && !model.byteFallback && !model.doLowerCase && !model.splitByPunct)
        // [MASK] is not a piece: transformers adds it after the pieces.
        #expect(model.specialTokens.first { $0.text == "[MASK]" }?.id == 9)
        #expect(model.vocabLimit == 10)
        #expect(model.modelMaxLength == nil)
    }

    @Test func explicitFalseDummyPrefixIsKept() throws {
        var builder = SPMBuilder()
        builder.addDummyPrefix = false
        #expect(try !builder.read().addDummyPrefix)
    }

    @Test(arguments: [(2, "BPE"), (3, "WORD"), (4, "CHAR")])
    func nonUnigramModelsAreUnsupported(type: Int64, name: String) {
        var builder = SPMBuilder()
        builder.modelType = type
        #expect(throws: TokenizerError.unsupported(file: "spm.model", field: "trainer_spec.model_type", message: "is \(name), only UNIGRAM (1) models are supported")) {
            _ = try builder.read()
        }
    }

    @Test func unigramModelTypeWrittenExplicitlyIsAccepted() throws {
        var builder = SPMBuilder()
        builder.modelType = 1
        #expect(try builder.read().pieces.count == 9)
        builder.modelType = 9
        #expect(throws: TokenizerError.self) { _ = try builder.read() }
    }

    @Test func pieceTypeOutOfRangeIsRejectedAtItsOffset() {
        var builder = SPMBuilder()
        builder.pieces[6].2 = 9
        let bytes = builder.bytes
        #expect {
            _ = try SentencePieceModelReader.read(bytes: bytes, path: "spm.model")
        } throws: { error in
            guard case let .malformed(file, offset, message) = error as? TokenizerError else { return false }
            // The type tag is the last field of piece 6's message.
            return file == "spm.model" && message == "piece 6 has type 9, expected 1-6 (NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE)"
                && bytes[offset] == 0x18 && bytes[offset + 1] == 9
        }
    }

    @Test func duplicatePiecesAreRejectedAsSentencePieceDoes() throws {
        var builder = SPMBuilder()
        builder.pieces.append(("b", -7, 1))
        #expect {
            _ = try builder.read()
        } throws: { error in
            guard case let .malformed(_, _, message) = error as? TokenizerError else { return false }
            return message == "piece 9 'b' is already defined by piece 6"
        }
        // A CONTROL piece and a NORMAL piece may share a text (two maps in SentencePiece).
        var shared = SPMBuilder()
        shared.pieces.append(("[CLS]", -7, 1))
        let model = try shared.read()
        // transformers' vocabulary keeps the last id of a text: [CLS] is now piece 9.
        #expect(model.clsId == 9)
    }

    @Test func exactlyOneUnknownPieceIsRequired() {
        var none = SPMBuilder()
        none.pieces[3].2 = 3
        #expect(throws: TokenizerError.field(file: "spm.model", field: "pieces", message: "no piece has type UNKNOWN, expected exactly one")) {
            _ = try none.read()
        }
        var two = SPMBuilder()
        two.pieces.append(("<unk2>", 0, 2))
        #expect {
            _ = try two.read()
        } throws: { error in
            guard case let .malformed(_, _, message) = error as? TokenizerError else { return false }
            return message == "pieces 3 and 9 are both of type UNKNOWN, expected exactly one"
        }
    }

    @Test func bytePiecesNeedByteFallbackAndAllTwoHundredFiftySix() throws {
        var builder = SPMBuilder()
        builder.pieces += SPMBuilder.bytePieces
        #expect {
            _ = try builder.read()
        } throws: { error in
            guard case let .malformed(_, _, message) = error as? TokenizerError else { return false }
            return message == "piece 9 '<0x00>' is a BYTE piece but 'byte_fallback' is false"
        }
        builder.byteFallback = true
        let model = try builder.read()
        #expect(model.byteFallback && model.pieces.filter { $0.type == .byte }.count == 256)

        var missing = builder
        missing.pieces.removeLast()
        #expect(throws: TokenizerError.field(file: "spm.model", field: "pieces", message: "'byte_fallback' is true but there is no BYTE piece '<0xFF>', expected all 256")) {
            _ = try missing.read()
        }
        var lowercaseHex = builder
        lowercaseHex.pieces[9 + 0xAB].0 = "<0xab>"
        #expect {
            _ = try lowercaseHex.read()
        } throws: { error in
            guard case let .malformed(_, _, message) = error as? TokenizerError else { return false }
            return message.contains("expected '<0xNN>' with two uppercase hex digits")
        }
    }

    @Test func piecesMustBeValidNonEmptyAndBounded() {
        var empty = SPMBuilder()
        empty.pieces[7].0 = ""
        #expect(throws: TokenizerError.self) { _ = try empty.read() }
        var long = SPMBuilder()
        long.pieces[7].0 = String(repeating: "x", count: 1025)
        #expect {
            _ = try long.read()
        } throws: { error in
            guard case let .malformed(_, _, message) = error as? TokenizerError else { return false }
            return message == "piece 7 has 1025 bytes, more than the limit of 1024"
        }
        var nan = SPMBuilder()
        nan.pieces[7].1 = .nan
        #expect {
            _ = try nan.read()
        } throws: { error in
            guard case let .malformed(_, _, message) = error as? TokenizerError else { return false }
            return message.hasPrefix("piece 7 has score nan")
        }
    }

    @Test func invalidUTF8PieceIsRejected() {
        var piece = ProtobufWriter()
        piece.bytesField(1, [0x61, 0xFF])
        var model = ProtobufWriter()
        model.bytesField(1, piece.bytes)
        #expect(throws: TokenizerError.malformed(file: "spm.model", offset: 2, message: "piece 0 is not valid UTF-8")) {
            _ = try SentencePieceModelReader.read(bytes: model.bytes, path: "spm.model")
        }
    }

    @Test func emptyModelHasNoPieces() {
        #expect(throws: TokenizerError.field(file: "spm.model", field: "pieces", message: "has no pieces, expected at least the unknown piece")) {
            _ = try SentencePieceModelReader.read(bytes: [], path: "spm.model")
        }
    }

    @Test func everyTruncationOfAValidModelIsAnErrorNotACrash() throws {
        let bytes = SPMBuilder().bytes
        // Cutting between two top-level fields leaves a valid message (the specs take their
        // defaults); every other cut is an error.
        var boundaries = Set<Int>()
        var reader = ProtobufReader(bytes: bytes, file: "spm.model")
        while let field = try reader.nextField() {
            try reader.skip(field)
            boundaries.insert(reader.position)
        }
        for length in 0..<bytes.count {
            let result = Result { () throws(TokenizerError) in try SentencePieceModelReader.read(bytes: Array(bytes[..<length]), path: "spm.model") }
            if case .success = result { #expect(boundaries.contains(length), "cut at \(length) accepted") }
        }
    }

    @Test func wrongWireTypesAreRejected() {
        // trainer_spec as a varint.
        var model = ProtobufWriter()
        model.varintField(2, 1)
        #expect {
            _ = try SentencePieceModelReader.read(bytes: model.bytes, path: "spm.model")
        } throws: { error in
            guard case let .malformed(_, 0, message) = error as? TokenizerError else { return false }
            return message == "field 'trainer_spec' (2) has wire type 0 (varint), expected 2 (length-delimited)"
        }
        // A score written as a varint.
        var piece = ProtobufWriter()
        piece.stringField(1, "a")
        piece.varintField(2, 1)
        var withPiece = ProtobufWriter()
        withPiece.bytesField(1, piece.bytes)
        #expect(throws: TokenizerError.malformed(file: "spm.model", offset: 5, message: "field 'score' (2) has wire type 0 (varint), expected 5 (fixed32)")) {
            _ = try SentencePieceModelReader.read(bytes: withPiece.bytes, path: "spm.model")
        }
    }

    @Test func hugeLengthsAndCountsAreRejected() {
        // A pieces field claiming 2^62 bytes.
        var model = ProtobufWriter()
        model.tag(1, 2)
        model.varint(1 << 62)
        #expect(throws: TokenizerError.truncated(file: "spm.model", offset: 1, what: "length \(UInt64(1) << 62) runs past the 0 bytes left in the message")) {
            _ = try SentencePieceModelReader.read(bytes: model.bytes, path: "spm.model")
        }
        #expect(throws: TokenizerError.tooLarge(file: "spm.model", size: (64 << 20) + 1, limit: 64 << 20)) {
            _ = try SentencePieceModelReader.read(bytes: [UInt8](repeating: 0, count: (64 << 20) + 1), path: "spm.model")
        }
    }

    @Test func unknownFieldsAndRepeatedMessagesAreHandledAsProtobuf() throws {
        var builder = SPMBuilder()
        builder.addDummyPrefix = true
        var bytes = builder.bytes
        // An unknown top-level field of each wire type, then a second normalizer_spec that is
        // merged into the first: add_dummy_prefix becomes false, the rest stays.
        var extra = ProtobufWriter()
        extra.varintField(100, 7)
        extra.tag(101, 1); extra.bytes += [UInt8](repeating: 0, count: 8)
        extra.bytesField(102, [1, 2])
        extra.floatField(103, 2)
        var normalizer = ProtobufWriter()
        normalizer.varintField(3, 0)
        extra.bytesField(3, normalizer.bytes)
        bytes += extra.bytes
        let model = try SentencePieceModelReader.read(bytes: bytes, path: "spm.model")
        #expect(!model.addDummyPrefix && model.removeExtraWhitespaces)
    }

    @Test func charsmapFromTheFixtureIsAccepted() throws {
        // Taken from a real nmt_nfkc model and placed into a small one.
        let fixture = try SentencePieceModelReader.read(path: TokenizerFixtures.folder("v3-nfkc-16k") + "/spm.model")
        var builder = SPMBuilder()
        builder.charsmap = fixture.precompiledCharsmap
        #expect(try builder.read().precompiledCharsmap == fixture.precompiledCharsmap)
    }
}
