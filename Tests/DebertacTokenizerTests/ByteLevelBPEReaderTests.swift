import CDebertacTokenizer
@testable import DebertacTokenizer
import Testing

/// vocab.json + merges.txt as the tokenizers library's `BPE::read_file` reads them, the merge
/// table's round trip through the blob, and the C encoder's BPE on hand-checked words.
@Suite struct ByteLevelBPEReaderTests {
    static let vocab = #"{"[PAD]": 0, "[CLS]": 1, "[SEP]": 2, "[UNK]": 3, "a": 4, "b": 5, "c": 6, "Ġ": 7, "ab": 8, "Ġab": 9, "bc": 10, "abc": 11, "x": "not a number"}"#

    static func read(_ merges: String, config: TokenizerConfig = TokenizerConfig()) throws -> TokenizerModel {
        try ByteLevelBPEReader.read(vocab: Array(vocab.utf8), vocabPath: "vocab.json", merges: Array(merges.utf8), mergesPath: "merges.txt",
                                    config: config)
    }

    static func ids(_ model: TokenizerModel, _ text: String, pair: String? = nil) throws -> [Int32] {
        try Tokenizer(model: model).encode(text, pair: pair, maxLength: 512).inputIds
    }

    @Test func readsTheFilesAsTheLibraryDoes() throws {
        // "#version" skipped, CRLF accepted, a non-numeric vocab entry skipped, [MASK] added at len(vocab).
        let model = try Self.read("#version: 0.2\r\na b\r\nĠ ab\r\n")
        #expect(model.pieces.count == 12)
        #expect(model.byteLevelBPE?.merges == [.init(left: 4, right: 5, merged: 8, rank: 0), .init(left: 7, right: 8, merged: 9, rank: 1)])
        #expect(model.specialTokens.first { $0.text == "[MASK]" }?.id == 12)
        #expect(model.clsId == 1 && model.sepId == 2 && model.padId == 0 && model.unkId == 3)
        #expect(try TokenizerModel(blob: try model.serialized(), source: model.source) == model)
    }

    @Test func mergesGoByRankAndALaterDuplicateWins() throws {
        // "abc": with a b before b c, "ab" then no (ab, c) merge: [ab, c]; with b c first: [a, bc].
        #expect(try Self.ids(try Self.read("a b\nb c\n"), "abc") == [1, 8, 6, 2])
        #expect(try Self.ids(try Self.read("b c\na b\n"), "abc") == [1, 4, 10, 2])
        // "a b" listed again after "b c": its last rank (2) counts, so b c (1) merges first.
        let model = try Self.read("a b\nb c\na b\n")
        #expect(model.byteLevelBPE?.merges.map(\.rank) == [1, 2])
        #expect(try Self.ids(model, "abc") == [1, 4, 10, 2])
    }

    @Test func preTokenizerTemplateAndPrefixSpace() throws {
        let model = try Self.read("a b\nĠ ab\n")
        // " ab" is one pre-token (Ġab); "z" has no byte character in the vocabulary and is dropped.
        #expect(try Self.ids(model, "ab ab z") == [1, 8, 9, 7, 2])
        #expect(try Self.ids(model, "ab", pair: "ab") == [1, 8, 2, 2, 8, 2])
        #expect(try Tokenizer(model: model).encode("ab", pair: "ab", maxLength: 512).tokenTypeIds == [0, 0, 0, 0, 0, 0])
        #expect(try Self.ids(model, "ab", pair: "") == [1, 8, 2])
        #expect(throws: TokenizationError.self) { try Tokenizer(model: model).encode("ab", pair: "ab", maxLength: 3) }
        var config = TokenizerConfig()
        config.addPrefixSpace = true
        #expect(try Self.ids(try Self.read("a b\nĠ ab\n", config: config), "ab[SEP]ab") == [1, 9, 2, 9, 2])
    }

    @Test func longTextsNeedNoMoreThanTheScratchBound() throws {
        let model = try Self.read("a b\nĠ ab\nb c\n")
        let text = String(repeating: "ab abc  a\tb ", count: 5000) + String(repeating: "a", count: 20000)
        let encoding = try Tokenizer(model: model).encode(text, maxLength: Int(Int32.max))
        #expect(encoding.inputIds.count > 40000)
    }

    /// `dtok_scratch_bound` is a bound for BPE too, where add_prefix_space adds a byte to every
    /// piece between special tokens: the encoder succeeds with exactly that much scratch.
    @Test func scratchBoundHoldsWithManySpecialTokensAndThePrefixSpace() throws {
        var config = TokenizerConfig()
        config.addPrefixSpace = true
        var blob = try Self.read("a b\nĠ ab\n", config: config).serialized()
        for text in [String(repeating: "a[SEP]", count: 300), String(repeating: "b[CLS]a ", count: 200), "", "ab"] {
            let bytes = Array(text.utf8)
            let status = blob.withUnsafeMutableBytes { raw -> Int32 in
                var t = dtok_tokenizer()
                guard dtok_open(&t, raw.baseAddress, raw.count, nil, 0) == Int32(DTOK_OK) else { return -1 }
                var scratch = [UInt8](repeating: 0, count: dtok_scratch_bound(&t, bytes.count, bytes.count))
                var ids = [Int32](repeating: 0, count: 4 * bytes.count + 8), types = ids
                var length: Int32 = 0, needed = 0
                return (bytes + [0]).withUnsafeBufferPointer { text in
                    let p = UnsafeRawPointer(text.baseAddress!).assumingMemoryBound(to: CChar.self)
                    return dtok_encode(&t, p, bytes.count, p, bytes.count, Int32.max, Int32(DTOK_LONGEST_FIRST), &scratch, scratch.count, &needed,
                                       &ids, &types, Int32(ids.count), &length, nil, 0)
                }
            }
            #expect(status == Int32(DTOK_OK), "\(text.prefix(20))")
        }
    }

    @Test func errorsNameTheFileAndTheProblem() {
        func message(_ merges: String) -> String? {
            do { _ = try Self.read(merges); return nil } catch { return (error as? TokenizerError)?.description }
        }
        #expect(message("a z\n") == "'merges.txt': field 'line 1': merges into or from 'z', which is not in the vocabulary")
        #expect(message("a\n") == "'merges.txt': field 'line 1': is not two tokens separated by one space")
        #expect(message("a  b\n") == "'merges.txt': field 'line 1': is not two tokens separated by one space")
        #expect(message("c a\n") == "'merges.txt': field 'line 1': merges into or from 'ca', which is not in the vocabulary")
    }
}
