@testable import DebertacTokenizer
import Testing

@Suite struct TokenizerBlobTests {
    func u32(_ blob: [UInt8], _ offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(blob[offset + $1]) << (8 * UInt32($1)) }
    }

    func section(_ blob: [UInt8], _ index: Int) -> ArraySlice<UInt8> {
        let offset = Int(u32(blob, 64 + 8 * index)), size = Int(u32(blob, 68 + 8 * index))
        return blob[offset..<(offset + size)]
    }

    @Test func headerAndSectionsFollowTheFormat() throws {
        var builder = SPMBuilder()
        builder.pieces.append(("ud", 0, 4))
        builder.pieces.append(("zz", -1, 5))
        var model = try builder.read()
        model.modelMaxLength = 128
        let blob = try model.serialized()
        #expect(Array(blob[0..<8]) == Array("debertok".utf8))
        #expect(u32(blob, 8) == 1)
        #expect(u32(blob, 12) == 0b111)  // add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces
        #expect(u32(blob, 16) == 11)
        #expect([20, 24, 28, 32].map { Int32(bitPattern: u32(blob, $0)) } == [3, 1, 2, 0])
        #expect(u32(blob, 36) == 12)  // [MASK] at 11
        #expect(Float(bitPattern: u32(blob, 40)) == -6)
        // max_score starts at FLT_MIN, so with only negative scores it stays there (SentencePiece's quirk).
        #expect(Float(bitPattern: u32(blob, 44)) == .leastNormalMagnitude)
        #expect(u32(blob, 48) == 5)   // "▁ab": 3 + 2 bytes
        #expect(u32(blob, 52) == 0 && u32(blob, 56) == 128 && u32(blob, 60) == 10)
        var end = 144
        for index in 0..<10 {
            let offset = Int(u32(blob, 64 + 8 * index))
            #expect(offset % 8 == 0 && offset >= end)
            end = offset + Int(u32(blob, 68 + 8 * index))
        }
        #expect(blob.count % 8 == 0)
        // Matchable index: NORMAL, USER_DEFINED and UNUSED pieces by bytes; "b" < "c" < "ud" < "zz" < "▁"...
        let matchable = stride(from: 0, to: section(blob, 4).count, by: 4).map { u32(Array(section(blob, 4)), $0) }
        #expect(matchable == [6, 8, 9, 10, 4, 5, 7])
        // No byte fallback: every byte piece is −1.
        #expect(section(blob, 5).allSatisfy { $0 == 0xFF })
        #expect(section(blob, 6).isEmpty && section(blob, 8).isEmpty && section(blob, 9).isEmpty)
        // Specials: count, then entries sorted by text.
        let specials = Array(section(blob, 7))
        #expect(u32(specials, 0) == 5 && Int32(bitPattern: u32(specials, 4)) == 1)
        #expect(try TokenizerModel(blob: blob, source: model.source) == model)
    }

    @Test func minAndMaxScoreStartAsSentencePiecesDo() throws {
        var builder = SPMBuilder()
        // Only positive NORMAL scores: max stays above FLT_MIN; no NORMAL piece at all: FLT_MAX / FLT_MIN.
        builder.pieces = [("[UNK]", 0, 2), ("[PAD]", 0, 3), ("[CLS]", 0, 3), ("[SEP]", 0, 3), ("x", 5, 4)]
        let blob = try builder.read().serialized()
        #expect(Float(bitPattern: u32(blob, 40)) == .greatestFiniteMagnitude)
        #expect(Float(bitPattern: u32(blob, 44)) == Float(bitPattern: 0x0080_0000))
        #expect(u32(blob, 48) == 1)
    }

    @Test func byteFallbackLowercaseAndPunctuationTables() throws {
        var builder = SPMBuilder()
        builder.byteFallback = true
        builder.pieces += SPMBuilder.bytePieces
        var config = TokenizerConfig()
        config.doLowerCase = true
        config.splitByPunct = true
        let model = try builder.read(config: config)
        let blob = try model.serialized()
        #expect(u32(blob, 12) == 0b111 | 16 | 32 | 64)
        let bytes = Array(section(blob, 5))
        #expect((0..<256).allSatisfy { Int32(bitPattern: u32(bytes, 4 * $0)) == Int32(9 + $0) })
        let lower = Array(section(blob, 8))
        let count = Int(u32(lower, 0))
        #expect(count > 1000)
        let strings = Array(lower[(4 + 16 * count)...])
        func entry(_ i: Int) -> (UInt32, String) {
            let base = 4 + 16 * i
            let offset = Int(u32(lower, base + 8)), length = Int(u32(lower, base + 12))
            return (u32(lower, base), String(decoding: strings[offset..<(offset + length)], as: UTF8.self))
        }
        #expect(entry(0) == (0x41, "a"))
        let dotted = (0..<count).map(entry).first { $0.0 == 0x130 }
        #expect(dotted?.1 == "i\u{307}")  // İ lowercases to two scalars, as Python
        #expect(!(0..<count).map(entry).contains { $0.0 == 0x61 })
        let punct = Array(section(blob, 9))
        let ranges = (0..<Int(u32(punct, 0))).map { (u32(punct, 4 + 8 * $0), u32(punct, 8 + 8 * $0)) }
        #expect(ranges.first! == (33, 47))
        #expect(ranges.contains { $0.0 <= 0x3002 && 0x3002 <= $0.1 })   // 。 (Po)
        #expect(ranges.contains { $0.0 <= 0x24 && 0x24 <= $0.1 })   // '$' (Sc) counts as ASCII punctuation
        #expect(!ranges.contains { $0.0 <= 0x41 && 0x41 <= $0.1 })
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.1 + 1 < $1.0 })
        #expect(try TokenizerModel(blob: blob, source: model.source) == model)
        _ = try Tokenizer(blob: blob)
    }

    @Test func everyTruncationAndManyCorruptionsAreRejected() throws {
        let model = try SPMBuilder().read()
        let blob = try model.serialized()
        for length in stride(from: 0, to: blob.count, by: 3) {
            #expect(throws: TokenizerError.self) { _ = try TokenizerModel(blob: Array(blob[..<length])) }
        }
        // A changed byte is rejected, or the blob is still the canonical blob of a (different)
        // valid model, e.g. another score or model_max_length: never a model that writes back otherwise.
        var rejected = 0
        for index in 0..<blob.count {
            var copy = blob
            copy[index] ^= 0x5A
            guard let parsed = try? TokenizerModel(blob: copy) else { rejected += 1; continue }
            #expect(try parsed.serialized() == copy, "byte \(index)")
        }
        #expect(rejected > blob.count * 3 / 4)
    }

    @Test func specificCorruptionsAreNamed() throws {
        let blob = try SPMBuilder().read().serialized()
        var magic = blob
        magic[0] = 0
        #expect(throws: TokenizerError.malformed(file: "tokenizer blob", offset: 0, message: "tokenizer blob: no 'debertok' magic")) {
            _ = try TokenizerModel(blob: magic)
        }
        var version = blob
        version[8] = 2
        #expect(throws: TokenizerError.malformed(file: "tokenizer blob", offset: 8, message: "tokenizer blob: format version 2, expected 1")) {
            _ = try TokenizerModel(blob: version)
        }
        var type = blob
        type[Int(u32(blob, 64 + 3 * 8)) + 5] = 7
        #expect {
            _ = try TokenizerModel(blob: type)
        } throws: { error in
            guard case let .malformed(_, _, message) = error as? TokenizerError else { return false }
            return message == "tokenizer blob: piece 5 has type 7, expected 1-6"
        }
        var maxScore = blob
        maxScore[44] ^= 1
        #expect {
            _ = try TokenizerModel(blob: maxScore)
        } throws: { error in
            guard case let .malformed(_, 44, message) = error as? TokenizerError else { return false }
            return message.hasPrefix("tokenizer blob: max_score is")
        }
        #expect(throws: TokenizerError.truncated(file: "tokenizer blob", offset: 100, what: "tokenizer blob: header needs 144 bytes")) {
            _ = try TokenizerModel(blob: Array(blob[..<100]))
        }
    }

    @Test func invalidModelsAreNotSerialized() throws {
        var model = try SPMBuilder().read()
        model.clsId = 99
        #expect(throws: TokenizerError.field(file: "spm.model", field: "cls_token", message: "has id 99, expected 0 to 9")) { _ = try model.serialized() }
        model = try SPMBuilder().read()
        model.specialTokens.append(.init(text: "[AAA]", id: 5))
        #expect(throws: TokenizerError.self) { _ = try model.serialized() }  // not sorted
        model = try SPMBuilder().read()
        model.unkId = 4
        #expect(throws: TokenizerError.field(file: "spm.model", field: "unk_id", message: "is 4, expected the id of the UNKNOWN piece")) { _ = try model.serialized() }
    }
}

@Suite struct Base64Tests {
    @Test(arguments: [("", [UInt8]()), ("AA==", [0]), ("AAE=", [0, 1]), ("AAEC", [0, 1, 2]), ("/+8A", [0xFF, 0xEF, 0])])
    func decodes(text: String, bytes: [UInt8]) throws {
        #expect(try Base64.decode(text) == bytes)
        #expect(base64(bytes) == text)
    }

    @Test(arguments: [
        ("AAA", 3, "length 3 is not a multiple of 4"),
        ("AA=A", 2, "'=' before the end is not base64"),
        ("A===", 1, "'=' before the end is not base64"),
        ("AB==", 1, "padding bits are not zero"),
        ("AAF=", 2, "padding bits are not zero"),
        ("AA\nA", 2, "character 0x0A is not base64"),
        ("AA-_", 2, "character 0x2D is not base64"),
        ("AA==AAAA", 2, "'=' before the end is not base64"),
    ])
    func rejects(text: String, index: Int, message: String) {
        #expect(throws: Base64.DecodingError(index: index, message: message)) { _ = try Base64.decode(text) }
    }
}
