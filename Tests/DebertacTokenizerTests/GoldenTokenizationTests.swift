@testable import DebertacTokenizer
import DebertacFrontend
import Foundation
import Testing

/// Every golden of Tests/Fixtures/tokenizers (scripts/make_tokenizer_fixtures.py: transformers'
/// slow DebertaV2Tokenizer over the sentencepiece package for spm.model folders, the tokenizers
/// library for tokenizer.json folders) matches id for id through the one encoder, which is also
/// the code every .so runs. Tolerance: none; ids and token types must be equal.
@Suite struct GoldenTokenizationTests {
    struct Case: CustomStringConvertible {
        let label: String
        let text: String
        let pair: String?
        let maxLength: Int
        let ids: [Int32]
        let types: [Int32]
        var description: String { label }
    }

    struct Golden {
        /// Special tokens of a pair: 3, or 4 for DebertaTokenizer's `[CLS] A [SEP] [SEP] B [SEP]` (`pair_specials`).
        let pairSpecials: Int
        let cases: [Case]
        let degenerate: [Case]
        let invalidUTF8: [[UInt8]]
    }

    /// Folders with a golden.json.
    static var folders: [String] {
        let root = TokenizerFixtures.root + "/tokenizers"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: root + "/\($0)/golden.json") }.sorted()
    }

    static func golden(_ name: String) throws -> Golden {
        let json = try JSONParser.parse(try TokenizerFixtures.bytes(TokenizerFixtures.folder(name) + "/golden.json"))
        func cases(_ key: String) -> [Case] {
            (json[key]?.arrayValue ?? []).map { c in
                Case(label: c["label"]?.stringValue ?? "?", text: c["text"]?.stringValue ?? "", pair: c["text_pair"]?.stringValue,
                     maxLength: c["max_length"]?.intValue ?? 0,
                     ids: (c["input_ids"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) },
                     types: (c["token_type_ids"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) })
            }
        }
        let invalid = (json["invalid_utf8"]?.arrayValue ?? []).compactMap(\.stringValue).map { hex in
            hex.split(separator: " ").compactMap { UInt8($0, radix: 16) }
        }
        return Golden(pairSpecials: json["pair_specials"]?.intValue ?? 3, cases: cases("cases"), degenerate: cases("degenerate_cases"), invalidUTF8: invalid)
    }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        guard let model = try TokenizerModel.load(path: TokenizerFixtures.folder(name)) else {
            throw TokenizationError.invalidArgument("no tokenizer in \(name)")
        }
        return try Tokenizer(model: model)
    }

    @Test("every golden case matches id for id", arguments: folders)
    func goldens(_ name: String) throws {
        let golden = try Self.golden(name)
        let tokenizer = try Self.tokenizer(name)
        #expect(golden.cases.count >= 100, "too few golden cases in \(name)")
        var failures = 0
        for c in golden.cases {
            let encoding = try tokenizer.encode(c.text, pair: c.pair, maxLength: c.maxLength)
            if encoding.inputIds != c.ids || encoding.tokenTypeIds != c.types {
                failures += 1
                if failures <= 5 {
                    Issue.record("\(name) '\(c.label)': \(encoding.inputIds) expected \(c.ids)")
                }
            }
        }
        #expect(failures == 0, "\(failures) of \(golden.cases.count) cases differ in \(name)")
    }

    /// max_length at or above the special tokens behaves as transformers (which, for a single
    /// text with max_length 2, logs an error and returns it uncut); below them, and max_length 0,
    /// the encoder refuses instead of returning transformers' overlong result.
    @Test("degenerate maximum lengths", arguments: folders)
    func degenerate(_ name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        let golden = try Self.golden(name)
        for c in golden.degenerate {
            let specials = c.pair == nil || (c.pair == "" && golden.pairSpecials == 4) ? 2 : golden.pairSpecials
            if c.maxLength >= specials {
                let encoding = try tokenizer.encode(c.text, pair: c.pair, maxLength: c.maxLength)
                #expect(encoding.inputIds == c.ids && encoding.tokenTypeIds == c.types, "\(name) '\(c.label)'")
            } else {
                #expect(throws: TokenizationError.self, "\(name) '\(c.label)'") {
                    try tokenizer.encode(c.text, pair: c.pair, maxLength: c.maxLength)
                }
            }
        }
    }

    @Test("invalid UTF-8 is an error naming the byte, in the text and in the pair", arguments: folders)
    func invalidUTF8(_ name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        let golden = try Self.golden(name)
        #expect(!golden.invalidUTF8.isEmpty)
        for bytes in golden.invalidUTF8 {
            for pair in [nil, Array("ok".utf8)] {
                let message = Self.failure { try tokenizer.encode(bytes: bytes, pair: pair, maxLength: 64) }
                #expect(message?.contains("the text is not valid UTF-8 at byte") == true, "\(bytes): \(message ?? "accepted")")
            }
            let message = Self.failure { try tokenizer.encode(bytes: Array("ok".utf8), pair: bytes, maxLength: 64) }
            #expect(message?.contains("the text pair is not valid UTF-8 at byte") == true, "\(bytes): \(message ?? "accepted")")
        }
    }

    /// The message of an `.invalidText` error, nil when `body` succeeds or fails otherwise.
    static func failure(_ body: () throws -> Tokenizer.Encoding) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            if case let .invalidText(message)? = error as? TokenizationError { return message }
            return nil
        }
    }

    /// The same text tokenized by pieces of scratch that are too small at first: the encoder asks
    /// for what it needs and the result does not depend on it.
    @Test func longTextsAndScratchGrowth() throws {
        let tokenizer = try Self.tokenizer(Self.folders.first { $0.hasPrefix("v3") } ?? Self.folders[0])
        let text = String(repeating: "The quick brown fox jumps over the lazy dog. 日本語のテキスト。 ", count: 2000)
        let full = try tokenizer.encode(text, maxLength: Int(Int32.max))
        #expect(full.inputIds.count > 20000)
        let cut = try tokenizer.encode(text, pair: "short", maxLength: 512)
        #expect(cut.inputIds.count == 512)
        #expect(Array(cut.inputIds.prefix(100)) == Array(full.inputIds.prefix(100)))
    }
}

/// A damaged blob (a corrupted .so) is refused by the encoder, or, when a flipped byte still
/// leaves it well formed, encodes without crashing: the C side trusts nothing.
@Suite struct DamagedBlobTests {
    @Test func truncatedAndFlippedBlobs() throws {
        let name = GoldenTokenizationTests.folders.first { $0.hasPrefix("userdef") } ?? GoldenTokenizationTests.folders[0]
        let blob = try GoldenTokenizationTests.tokenizer(name).blob
        #expect(throws: TokenizationError.self) { try Tokenizer(blob: []) }
        for length in [1, 8, 64, 143, 144, 200, blob.count / 2, blob.count - 1] {
            #expect(throws: TokenizationError.self, "\(length) bytes") { try Tokenizer(blob: Array(blob.prefix(length))) }
        }
        var generator = SeededGenerator(seed: 12)
        var accepted = 0
        for _ in 0..<300 {
            var damaged = blob
            for _ in 0..<3 {
                // Mostly the header and section table, sometimes anywhere.
                let index = Bool.random(using: &generator) ? Int.random(in: 0..<144, using: &generator)
                                                           : Int.random(in: 0..<blob.count, using: &generator)
                damaged[index] ^= UInt8.random(in: 1...255, using: &generator)
            }
            guard let tokenizer = try? Tokenizer(blob: damaged) else { continue }
            accepted += 1
            _ = try? tokenizer.encode("Hello [SEP] wörld ﬁ 日本 😀 ::<url>", pair: "a pair", maxLength: 64)
        }
        #expect(accepted < 300)
    }
}

/// xorshift64*: reproducible randomness for tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }
}
