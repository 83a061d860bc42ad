@testable import DebertacBackend
import DebertacRuntime
import DebertacFrontend
import DebertacTokenizer
import Foundation
import Testing

/// The text calls of ABI version 2 on the trained example (examples/synthetic-nli, compiled with
/// its tokenizer): they run the same encoder as the compiler, give Hugging Face's results
/// (examples/synthetic-nli/golden.json, made by scripts/train_example_nli.py with transformers'
/// tokenizer, model and zero-shot pipeline in fp32), and refuse every misuse with a status and a
/// message.
@Suite struct TextABITests {
    static let ok: Int32 = 0, invalid: Int32 = 1, outOfRange: Int32 = 2

    func model() async throws -> CompiledModel {
        try CompiledModel(path: try await CompiledArtifacts.shared.library("synthetic-nli", .embedded))
    }

    static let texts: [(String, String?)] = [
        ("A man is playing a guitar on stage.", "A person is making music."),
        ("The cat chased the dog.", "The dog chased the cat."),
        ("Three apples are on the table.", nil),
        ("  leading spaces,\ttabs\nand newlines  ", "[SEP] typed [CLS] specials [MASK]"),
        ("Le café est très chaud. 日本語のテキスト。 😀👍🏽", "ﬁ ＡＢＣ ㎒ e\u{301}"),
        (String(repeating: "a very long premise ", count: 200), "short"),
        ("", ""),
    ]

    @Test("debertac_tokenize is the compiler's encoder, bit for bit")
    func tokenizeMatchesInProcess() async throws {
        let m = try await model()
        #expect(m.hasTokenizer && m.abiVersion == 3)
        let tokenizer = try Tokenizer(model: try #require(try TokenizerModel.load(path: BackendFixtures.syntheticNLI)))
        for (text, pair) in Self.texts {
            for maxLength in [m.maxSequenceLength, 16, 3] {
                let native = try m.tokenize(text, pair: pair, maxLength: maxLength)
                let expected = try tokenizer.encode(text, pair: pair, maxLength: maxLength)
                #expect(native.ids == expected.inputIds && native.typeIds == expected.tokenTypeIds, "\(text.prefix(30)) \(maxLength)")
            }
        }
        // max_length 0 is the model's maximum.
        let long = Self.texts[5]
        #expect(try m.tokenize(long.0, pair: long.1).ids.count == m.maxSequenceLength)
    }

    /// The byte-level BPE fixtures whose ids fit the example's 1,712-token embedding.
    static let bytePairFixtures = ["bpe-1k", "bpe-tokjson"]

    /// The example's weights compiled with a BPE fixture's tokenizer (DeBERTa v1's kind).
    static func bytePairModel(_ fixture: String) throws -> CompiledModel {
        let directory = BackendFixtures.scratch + "/bpe-\(fixture)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let output = directory + "/nli.so"
        var options = BackendOptions()
        options.compilerVersion = "test"
        let folder = BackendFixtures.root + "/tokenizers/" + fixture
        options.tokenizer = try #require(try TokenizerModel.load(path: folder)).serialized()
        _ = try Backend.compile(checkpoint: try Checkpoint.load(path: BackendFixtures.syntheticNLI), output: output, options: options)
        return try CompiledModel(path: output)
    }

    @Test("debertac_tokenize with a byte-level BPE tokenizer is the compiler's encoder and the goldens", arguments: bytePairFixtures)
    func bytePairTokenizeMatchesInProcess(_ fixture: String) throws {
        let m = try Self.bytePairModel(fixture)
        let folder = BackendFixtures.root + "/tokenizers/" + fixture
        let tokenizer = try Tokenizer(model: try #require(try TokenizerModel.load(path: folder)))
        for (text, pair) in Self.texts {
            for maxLength in [m.maxSequenceLength, 16, 4] {
                let native = try m.tokenize(text, pair: pair, maxLength: maxLength)
                let expected = try tokenizer.encode(text, pair: pair, maxLength: maxLength)
                #expect(native.ids == expected.inputIds && native.typeIds == expected.tokenTypeIds, "\(text.prefix(30)) \(maxLength)")
            }
        }
        let golden = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/golden.json"))))
        var checked = 0
        for c in golden["cases"]?.arrayValue ?? [] {
            let maxLength = c["max_length"]?.intValue ?? 0
            // The ABI takes C strings: texts with a NUL cannot reach it whole.
            guard maxLength <= m.maxSequenceLength, let text = c["text"]?.stringValue, !text.contains("\0"),
                  c["text_pair"]?.stringValue?.contains("\0") != true else { continue }
            let native = try m.tokenize(text, pair: c["text_pair"]?.stringValue, maxLength: maxLength)
            #expect(native.ids == (c["input_ids"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) }, "\(c["label"]?.stringValue ?? "")")
            checked += 1
        }
        #expect(checked > 200)
    }

    @Test("classify_text is classify on the tokenized, padded batch (bit for bit)")
    func classifyTextMatchesIds() async throws {
        let m = try await model()
        let session = try m.makeSession(maxBatch: Self.texts.count, maxLength: m.maxSequenceLength)
        let logits = try session.classify(texts: Self.texts.map(\.0), pairs: Self.texts.map(\.1)).map(\.logits)
        let rows = try Self.texts.map { try m.tokenize($0.0, pair: $0.1) }
        let width = rows.map(\.ids.count).max()!
        let ids = rows.map { $0.ids + Array(repeating: 0, count: width - $0.ids.count) }
        let mask = rows.map { Array(repeating: Int32(1), count: $0.ids.count) + Array(repeating: 0, count: width - $0.ids.count) }
        let reference = try session.classify(ids: ids, mask: mask).map(\.logits)
        #expect(logits == reference)
        // One at a time: the same logits to fp32 noise (padding only changes the order of sums).
        for (b, (text, pair)) in Self.texts.enumerated() {
            let single = try session.classify(texts: [text], pairs: [pair]).map(\.logits)[0]
            for (x, y) in zip(single, logits[b]) { #expect(abs(x - y) <= 1e-4) }
        }
    }

    @Test("pairs and zero-shot match Hugging Face (golden.json)")
    func goldens() async throws {
        let m = try await model()
        let golden = try ExampleGolden.load()
        #expect(!golden.pairs.isEmpty && !golden.zeroShot.isEmpty)
        let session = try m.makeSession(maxBatch: 8, maxLength: m.maxSequenceLength)
        for pair in golden.pairs {
            let tokens = try m.tokenize(pair.premise, pair: pair.hypothesis)
            #expect(tokens.ids == pair.inputIds, "\(pair.premise)")
            let logits = try session.classify(texts: [pair.premise], pairs: [pair.hypothesis]).map(\.logits)[0]
            // fp32 against PyTorch fp32: sums in another order (tolerance 1e-4 absolute).
            for (x, y) in zip(logits, pair.logits) { #expect(abs(x - y) <= 1e-4, "\(pair.premise): \(logits) vs \(pair.logits)") }
            #expect(m.labels[logits.indices.max { logits[$0] < logits[$1] }!] == pair.label)
        }
        for call in golden.zeroShot {
            let result = try session.zeroShot(call.text, labels: call.candidates, template: call.template, multiLabel: call.multiLabel)
            let byLabel = Dictionary(uniqueKeysWithValues: zip(result.labels, result.scores))
            for (label, score) in zip(call.labels, call.scores) {
                // The pipeline's scores within 1e-5 (issue 12).
                #expect(abs(Double(byLabel[label]!) - score) <= 1e-5, "\(call.text) \(label): \(byLabel[label]!) vs \(score)")
            }
        }
    }

    @Test("text calls refuse misuse with a status and a message")
    func misuse() async throws {
        let m = try await model()
        let api = try #require(m.api.text)
        let session = try m.makeSession(maxBatch: 2, maxLength: 32)
        let s = session.rawSession
        func lastError() -> String { session.lastError }
        var logits = [Float](repeating: 0, count: 6)
        var scores = [Float](repeating: 0, count: 3)

        // classify_text
        #expect(api.classifyText(nil, 1, nil, nil, &logits) == Self.invalid)
        #expect(api.classifyText(s, 1, nil, nil, &logits) == Self.invalid && lastError().contains("'texts' is NULL"))
        try withCStringArray(["a", "b", "c"]) { texts in
            #expect(api.classifyText(s, 0, texts, nil, &logits) == Self.invalid && lastError().contains("batch size 0"))
            #expect(api.classifyText(s, 3, texts, nil, &logits) == Self.outOfRange && lastError().contains("exceeds the session's maximum batch (2)"))
            #expect(api.classifyText(s, 1, texts, nil, nil) == Self.invalid && lastError().contains("'logits' is NULL"))
            #expect(api.classifyText(s, 2, texts, nil, &logits) == Self.ok && lastError().isEmpty)
        }
        try withCStringArray([nil]) { texts in
            #expect(api.classifyText(s, 1, texts, nil, &logits) == Self.invalid && lastError().contains("'texts[0]' is NULL"))
        }
        let invalidUTF8: [CChar] = [0x61, CChar(bitPattern: 0xFF), 0x62, 0]
        invalidUTF8.withUnsafeBufferPointer { bad in
            var rows: [UnsafePointer<CChar>?] = [bad.baseAddress]
            #expect(api.classifyText(s, 1, &rows, nil, &logits) == Self.invalid)
            #expect(lastError().contains("not valid UTF-8 at byte 1 (0xFF)"), "\(lastError())")
            "ok".withCString { okText in
                var texts: [UnsafePointer<CChar>?] = [okText]
                #expect(api.classifyText(s, 1, &texts, &rows, &logits) == Self.invalid)
                #expect(lastError().contains("pair is not valid UTF-8"), "\(lastError())")
            }
        }

        // zero_shot
        try withCStringArray(["sports", "politics"]) { labels in
            #expect(api.zeroShot(nil, "x", 2, labels, nil, 0, &scores) == Self.invalid)
            #expect(api.zeroShot(s, nil, 2, labels, nil, 0, &scores) == Self.invalid && lastError().contains("'text' is NULL"))
            #expect(api.zeroShot(s, "x", 0, labels, nil, 0, &scores) == Self.invalid && lastError().contains("0 candidate labels"))
            #expect(api.zeroShot(s, "x", 2, nil, nil, 0, &scores) == Self.invalid && lastError().contains("'labels' is NULL"))
            #expect(api.zeroShot(s, "x", 2, labels, nil, 0, nil) == Self.invalid && lastError().contains("'scores' is NULL"))
            #expect(api.zeroShot(s, "x", 2, labels, nil, 2, &scores) == Self.invalid && lastError().contains("multi_label is 2"))
            for template in ["No field.", "Two {} and {}.", "A {0} field.", "A stray } brace {}.", "{"] {
                #expect(api.zeroShot(s, "x", 2, labels, template, 0, &scores) == Self.invalid, "\(template)")
                #expect(lastError().contains("hypothesis template"), "\(template): \(lastError())")
            }
            #expect(api.zeroShot(s, "x", 2, labels, "Literal {{braces}} and {}.", 0, &scores) == Self.ok, "\(lastError())")
            #expect(api.zeroShot(s, "x", 2, labels, nil, 0, &scores) == Self.ok)
            #expect(abs(scores[0] + scores[1] - 1) < 1e-6)
            // More labels than the session's batch run in chunks: the same scores as one by one.
            try withCStringArray(["sports", "politics", "cooking", "music", "weather"]) { five in
                var many = [Float](repeating: 0, count: 5)
                #expect(api.zeroShot(s, "The match ended in a draw.", 5, five, nil, 1, &many) == Self.ok)
                for i in 0..<5 {
                    var one: Float = 0
                    #expect(api.zeroShot(s, "The match ended in a draw.", 1, five! + i, nil, 1, &one) == Self.ok)
                    #expect(abs(one - many[i]) <= 1e-6)
                }
            }
        }
        try withCStringArray([nil]) { labels in
            #expect(api.zeroShot(s, "x", 1, labels, nil, 0, &scores) == Self.invalid && lastError().contains("'labels[0]' is NULL"))
        }
        // A premise that only_first truncation cannot shorten enough for the session.
        let longLabel = String(repeating: "very long label ", count: 40)
        try withCStringArray([longLabel]) { labels in
            #expect(api.zeroShot(s, "short", 1, labels, nil, 0, &scores) == Self.outOfRange)
            #expect(lastError().contains("more than the session's maximum length 32"), "\(lastError())")
        }

        // tokenize (model-level: messages in debertac_open_error)
        var ids = [Int32](repeating: -7, count: 8), types = [Int32](repeating: -7, count: 8)
        var length: Int32 = 0
        func openError() -> String { String(cString: m.api.openError()!) }
        #expect(api.tokenize(nil, "x", nil, 0, &ids, &types, 8, &length) == Self.invalid && openError().contains("'model' is NULL"))
        #expect(api.tokenize(m.rawModel, nil, nil, 0, &ids, &types, 8, &length) == Self.invalid && openError().contains("'text' is NULL"))
        #expect(api.tokenize(m.rawModel, "x", nil, 0, &ids, &types, 8, nil) == Self.invalid && openError().contains("'length' is NULL"))
        #expect(api.tokenize(m.rawModel, "x", nil, 0, &ids, &types, -1, &length) == Self.invalid && openError().contains("capacity -1"))
        #expect(api.tokenize(m.rawModel, "x", nil, 0, nil, &types, 8, &length) == Self.invalid && openError().contains("'input_ids' is NULL"))
        #expect(api.tokenize(m.rawModel, "x", nil, -1, &ids, &types, 8, &length) == Self.invalid && openError().contains("max_length -1"))
        #expect(api.tokenize(m.rawModel, "x", "y", 2, &ids, &types, 8, &length) == Self.invalid
                && openError().contains("max_length 2 is below the 3 special tokens of a pair"))
        // Capacity below the length: writes what fits, reports the full length.
        let sentence = "A man is playing a guitar on stage while the crowd sings along loudly."
        #expect(api.tokenize(m.rawModel, sentence, nil, 0, nil, nil, 0, &length) == Self.ok && openError().isEmpty)
        let full = length
        #expect(full > 8)
        #expect(api.tokenize(m.rawModel, sentence, nil, 0, &ids, &types, 4, &length) == Self.ok && length == full)
        #expect(ids[4] == -7 && ids[3] != -7)
    }

    @Test("an ids-only model and a model without an entailment label refuse text calls by name")
    func withoutTokenizerOrEntailment() async throws {
        let idsOnly = try CompiledModel(path: try await CompiledArtifacts.shared.library("models/xxlarge-toy", .embedded))
        #expect(!idsOnly.hasTokenizer)
        #expect(idsOnly.info.contains("\"tokenizer\": null"))
        let session = try idsOnly.makeSession(maxBatch: 1, maxLength: 8)
        #expect(throws: DebertacError.self) { try session.classify(texts: ["x"]).map(\.logits) }
        #expect(session.lastError.contains("compiled without a tokenizer"))
        #expect(throws: DebertacError.self) { try idsOnly.tokenize("x") }
        #expect(String(cString: idsOnly.api.openError()!).contains("compiled without a tokenizer"))

        // The example with labels that name no entailment.
        let folder = BackendFixtures.scratch + "/no-entailment"
        try? FileManager.default.removeItem(atPath: folder)
        // File by file: the copy must never write through to the example.
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let source = URL(fileURLWithPath: BackendFixtures.syntheticNLI).resolvingSymlinksInPath().path
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            try Data(contentsOf: URL(fileURLWithPath: source + "/" + name)).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        let configPath = folder + "/config.json"
        var config = try String(contentsOfFile: configPath, encoding: .utf8)
        config = config.replacingOccurrences(of: "ENTAILMENT", with: "FOLLOWS")
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let checkpoint = try Checkpoint.load(path: folder)
        #expect(checkpoint.config.entailmentId == nil)
        var options = BackendOptions()
        options.tokenizer = try #require(try TokenizerModel.load(path: folder)).serialized()
        _ = try Backend.compile(checkpoint: checkpoint, output: folder + "/nli.so", options: options)
        let model = try CompiledModel(path: folder + "/nli.so")
        let s = try model.makeSession(maxBatch: 2, maxLength: 32)
        #expect(throws: DebertacError.self) { try s.zeroShot("x", labels: ["a", "b"]) }
        #expect(s.lastError.contains("no entailment label"))
        #expect(try s.classify(texts: ["x"]).map(\.logits).count == 1)  // classification still works
    }
}

/// Calls `body` with a C array of C strings (nil entries stay NULL) that live during the call.
func withCStringArray(_ strings: [String?], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>?) throws -> Void) rethrows {
    let copies = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    var pointers = copies.map { UnsafePointer($0) }
    try pointers.withUnsafeMutableBufferPointer { try body($0.baseAddress) }
}

/// examples/synthetic-nli/golden.json (scripts/train_example_nli.py).
struct ExampleGolden {
    struct Pair {
        let premise: String, hypothesis: String
        let inputIds: [Int32]
        let logits: [Float]
        let label: String
    }
    struct ZeroShot {
        let text: String
        let candidates: [String]
        let template: String
        let multiLabel: Bool
        let labels: [String]
        let scores: [Double]
    }
    let pairs: [Pair]
    let zeroShot: [ZeroShot]

    static func load() throws -> ExampleGolden {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: BackendFixtures.syntheticNLI + "/golden.json")))
        let json = try JSONParser.parse(bytes)
        let strings = { (v: JSONValue?) in (v?.arrayValue ?? []).compactMap(\.stringValue) }
        let pairs = (json["pairs"]?.arrayValue ?? []).map { p in
            Pair(premise: p["premise"]?.stringValue ?? "", hypothesis: p["hypothesis"]?.stringValue ?? "",
                 inputIds: (p["input_ids"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) },
                 logits: (p["logits"]?.arrayValue ?? []).compactMap { $0.doubleValue.map(Float.init) },
                 label: p["label"]?.stringValue ?? "")
        }
        let calls = (json["zero_shot"]?.arrayValue ?? []).map { z in
            ZeroShot(text: z["text"]?.stringValue ?? "", candidates: strings(z["candidate_labels"]),
                     template: z["hypothesis_template"]?.stringValue ?? "This example is {}.",
                     multiLabel: z["multi_label"]?.boolValue ?? false, labels: strings(z["labels"]),
                     scores: (z["scores"]?.arrayValue ?? []).compactMap(\.doubleValue))
        }
        return ExampleGolden(pairs: pairs, zeroShot: calls)
    }
}
