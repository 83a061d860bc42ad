import DebertacFrontend
import Foundation
import Testing

/// `debertac tokenize`, `run` with text and `zero-shot`, as a user runs them: a checkpoint folder
/// and the .so compiled from it give the same ids (one encoder), and errors are clear.
@Suite struct TextCommandTests {
    static let example = "examples/synthetic-nli"

    /// examples/synthetic-nli compiled once (with its tokenizer).
    static let library: String = {
        let folder = NSTemporaryDirectory() + "debertac-cli-text-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "debertac-cli-text-\(ProcessInfo.processInfo.processIdentifier)") }
        let output = folder + "/nli.so"
        _ = try? CommandRunner.run(["compile", example, "-o", output, "--quiet"])
        return output
    }()

    static let request = #"""
        {"text": ["A man is playing a guitar on stage.", "The cat chased the dog [SEP] twice.", "  ", "Le café ㎒ 😀👍🏽"],
         "text_pair": ["A person is making music.", null, "empty premise", "ﬁ ＡＢＣ"]}
        """#

    @Test("tokenize: a checkpoint folder and its .so print the same ids, padded as transformers pads")
    func tokenizeFolderAndLibrary() throws {
        let folder = try CommandRunner.run(["tokenize", Self.example, "--input", "-"], stdin: Self.request)
        #expect(folder.status == 0, "\(folder.stderr)")
        let compiled = try CommandRunner.run(["tokenize", Self.library, "--input", "-"], stdin: Self.request)
        #expect(compiled.status == 0, "\(compiled.stderr)")
        #expect(folder.stdout == compiled.stdout)
        let json = try JSONParser.parse(Array(folder.stdout.utf8))
        let ids = json["input_ids"]?.arrayValue ?? []
        let mask = json["attention_mask"]?.arrayValue ?? []
        #expect(ids.count == 4 && mask.count == 4)
        let widths = Set(ids.map { $0.arrayValue?.count ?? 0 })
        #expect(widths.count == 1, "rows are padded to one width")
        // Row 1 typed "[SEP]": it is the separator id, twice more with the final one.
        let row1 = (ids[1].arrayValue ?? []).compactMap(\.intValue)
        #expect(row1.first == 1 && row1.filter { $0 == 2 }.count == 2)
        // max_length truncates, both ways.
        let short = #"{"text": ["A man is playing a guitar on stage."], "text_pair": ["A person is making music."], "max_length": 7}"#
        let a = try CommandRunner.run(["tokenize", Self.example, "--input", "-"], stdin: short)
        let b = try CommandRunner.run(["tokenize", Self.library, "--input", "-"], stdin: short)
        #expect(a.status == 0 && a.stdout == b.stdout)
        #expect((try JSONParser.parse(Array(a.stdout.utf8))["input_ids"]?.arrayValue?.first?.arrayValue?.count) == 7)
    }

    @Test("tokenize: every golden of a tokenizer fixture, through the command line",
          arguments: ["v3-nfkc-16k", "bpe-1k", "bpe-prefix-3k", "bpe-tokjson"])
    func tokenizeGolden(_ name: String) throws {
        let fixture = "Tests/Fixtures/tokenizers/" + name
        let golden = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: CommandRunner.root + "/" + fixture + "/golden.json"))))
        let cases = (golden["cases"]?.arrayValue ?? []).filter { $0["text_pair"] == .null && $0["max_length"]?.intValue == 512 }
        #expect(cases.count > 50)
        let texts = JSONValue.array(cases.map { $0["text"]! }).serialized()
        let run = try CommandRunner.run(["tokenize", fixture, "--input", "-"], stdin: #"{"text": \#(texts), "max_length": 512}"#)
        #expect(run.status == 0, "\(run.stderr)")
        let output = try JSONParser.parse(Array(run.stdout.utf8))
        for (i, c) in cases.enumerated() {
            let row = (output["input_ids"]?.arrayValue?[i].arrayValue ?? []).compactMap(\.intValue)
            let mask = (output["attention_mask"]?.arrayValue?[i].arrayValue ?? []).compactMap(\.intValue)
            let ids = zip(row, mask).filter { $0.1 == 1 }.map(\.0)
            #expect(ids == (c["input_ids"]?.arrayValue ?? []).compactMap(\.intValue), "\(c["label"]?.stringValue ?? "")")
        }
    }

    @Test("tokenize: a byte-level BPE tokenizer (DeBERTa v1) compiled into a .so gives the folder's ids, pairs too",
          arguments: ["bpe-1k", "bpe-tokjson"])
    func tokenizeBytePairLibrary(_ name: String) throws {
        let fixture = "Tests/Fixtures/tokenizers/" + name
        let output = NSTemporaryDirectory() + "debertac-cli-\(name)-\(ProcessInfo.processInfo.processIdentifier).so"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let compile = try CommandRunner.run(["compile", Self.example, "--tokenizer", fixture, "-o", output, "--quiet"])
        #expect(compile.status == 0, "\(compile.stderr)")
        let golden = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: CommandRunner.root + "/" + fixture + "/golden.json"))))
        let cases = (golden["cases"]?.arrayValue ?? []).filter { $0["max_length"]?.intValue == 64 && $0["text_pair"] != .null }
        #expect(cases.count > 10)
        let request = #"{"text": \#(JSONValue.array(cases.map { $0["text"]! }).serialized()), "#
            + #""text_pair": \#(JSONValue.array(cases.map { $0["text_pair"]! }).serialized()), "max_length": 64}"#
        let folder = try CommandRunner.run(["tokenize", fixture, "--input", "-"], stdin: request)
        let library = try CommandRunner.run(["tokenize", output, "--input", "-"], stdin: request)
        #expect(folder.status == 0 && library.status == 0, "\(folder.stderr) \(library.stderr)")
        #expect(folder.stdout == library.stdout)
        let rows = try JSONParser.parse(Array(library.stdout.utf8))
        for (i, c) in cases.enumerated() {
            let row = (rows["input_ids"]?.arrayValue?[i].arrayValue ?? []).compactMap(\.intValue)
            let mask = (rows["attention_mask"]?.arrayValue?[i].arrayValue ?? []).compactMap(\.intValue)
            #expect(zip(row, mask).filter { $0.1 == 1 }.map(\.0) == (c["input_ids"]?.arrayValue ?? []).compactMap(\.intValue),
                    "\(c["label"]?.stringValue ?? "")")
        }
    }

    @Test("a DeBERTa v1 checkpoint with its byte-level BPE tokenizer: ids and logits as transformers gives them, folder and .so")
    func runBytePairModel() throws {
        let fixture = "Tests/Fixtures/text/v1-bpe"   // scripts/make_v1_text_fixture.py
        let output = NSTemporaryDirectory() + "debertac-cli-v1-bpe-\(ProcessInfo.processInfo.processIdentifier).so"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let compile = try CommandRunner.run(["compile", fixture, "-o", output, "--quiet"])
        #expect(compile.status == 0, "\(compile.stderr)")
        let golden = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: CommandRunner.root + "/" + fixture + "/golden.json"))))
        let cases = golden["cases"]?.arrayValue ?? []
        #expect(cases.count == 4)
        let request = #"{"text": \#(JSONValue.array(cases.map { $0["text"]! }).serialized()), "#
            + #""text_pair": \#(JSONValue.array(cases.map { $0["text_pair"]! }).serialized())}"#
        let ids = try CommandRunner.run(["tokenize", output, "--input", "-"], stdin: request)
        #expect(ids.status == 0, "\(ids.stderr)")
        let rows = try JSONParser.parse(Array(ids.stdout.utf8))
        for (i, c) in cases.enumerated() {
            let row = (rows["input_ids"]?.arrayValue?[i].arrayValue ?? []).compactMap(\.intValue)
            let mask = (rows["attention_mask"]?.arrayValue?[i].arrayValue ?? []).compactMap(\.intValue)
            #expect(zip(row, mask).filter { $0.1 == 1 }.map(\.0) == (c["input_ids"]?.arrayValue ?? []).compactMap(\.intValue))
        }
        // Logits within 1e-4 (interpreter) and 2e-4 (.so) of transformers' fp32 ones, relative to 1 + |logit|.
        for (path, tolerance) in [(fixture, 1e-4), (output, 2e-4)] {
            let run = try CommandRunner.run(["run", path, "--input", "-"], stdin: request)
            #expect(run.status == 0, "\(run.stderr)")
            let logits = try JSONParser.parse(Array(run.stdout.utf8))["logits"]?.arrayValue ?? []
            #expect(logits.count == cases.count)
            for (row, c) in zip(logits, cases) {
                for (u, v) in zip(row.arrayValue ?? [], c["logits"]?.arrayValue ?? []) {
                    let (a, b) = (u.doubleValue ?? .nan, v.doubleValue ?? .nan)
                    #expect(abs(a - b) <= tolerance * (1 + abs(b)), "\(path): \(a) vs \(b)")
                }
            }
        }
    }

    @Test("run with text: the checkpoint (interpreter) and its .so agree")
    func runText() throws {
        let folder = try CommandRunner.run(["run", Self.example, "--input", "-"], stdin: Self.request)
        let compiled = try CommandRunner.run(["run", Self.library, "--input", "-"], stdin: Self.request)
        #expect(folder.status == 0 && compiled.status == 0, "\(folder.stderr) \(compiled.stderr)")
        let a = try JSONParser.parse(Array(folder.stdout.utf8)), b = try JSONParser.parse(Array(compiled.stdout.utf8))
        #expect(a["labels"] == b["labels"])
        let rows = zip(a["logits"]?.arrayValue ?? [], b["logits"]?.arrayValue ?? [])
        for (x, y) in rows {
            for (u, v) in zip(x.arrayValue ?? [], y.arrayValue ?? []) {
                #expect(abs((u.doubleValue ?? .nan) - (v.doubleValue ?? .nan)) <= 1e-4)
            }
        }
        // The first pair is an entailment the trained example gets right.
        #expect(a["labels"]?.arrayValue?.first?.stringValue == "ENTAILMENT")
    }

    @Test("zero-shot prints labels sorted by score, or JSON")
    func zeroShot() throws {
        let text = try CommandRunner.run(["zero-shot", Self.library, "The team won the football match last night.",
                                          "--labels", "cooking, sports,politics"])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        let scores = lines.compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
        #expect(scores == scores.sorted(by: >) && abs(scores.reduce(0, +) - 1) < 1e-5)
        let json = try CommandRunner.run(["zero-shot", Self.library, "The team won the football match last night.",
                                          "--labels", "cooking,sports,politics", "--multi-label", "--json"])
        #expect(json.status == 0)
        let value = try JSONParser.parse(Array(json.stdout.utf8))
        #expect(value["sequence"]?.stringValue == "The team won the football match last night.")
        #expect(value["labels"]?.arrayValue?.count == 3)
    }

    @Test("text commands fail clearly")
    func errors() throws {
        func fails(_ arguments: [String], stdin: String? = nil, _ message: String) throws {
            let result = try CommandRunner.run(arguments, stdin: stdin)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        try fails(["tokenize", Self.example, "--input", "-"], stdin: #"{"text": []}"#, "'text' must be a non-empty array of strings")
        try fails(["tokenize", Self.example, "--input", "-"], stdin: #"{"text": ["a"], "text_pair": ["b", "c"]}"#,
                  "'text_pair' must be an array with one entry per text (1)")
        try fails(["tokenize", Self.example, "--input", "-"], stdin: #"{"text": ["a"], "max_length": 0}"#, "'max_length' must be a positive integer")
        try fails(["tokenize", Self.example, "--input", "-"], stdin: #"{"text": ["a"], "texts": ["b"]}"#, "'texts' is not a text input field")
        try fails(["tokenize", Self.example, "--input", "-"], stdin: #"{"text": ["a"], "text_pair": ["b"], "max_length": 2}"#,
                  "max_length 2 is below the 3 special tokens of a pair")
        try fails(["tokenize", "examples/tiny-nli", "--input", "-"], stdin: #"{"text": ["a"]}"#, "has no tokenizer")
        try fails(["run", "examples/tiny-nli", "--input", "-"], stdin: #"{"text": ["a"]}"#, "has no tokenizer")
        try fails(["zero-shot", Self.example, "x", "--labels", "a,b"], "is not a compiled .so")
        try fails(["zero-shot", Self.library, "x", "--labels", " , "], "--labels names no label")
        try fails(["zero-shot", Self.library, "x", "--labels", "a,b", "--template", "no field"], "has 0 '{}' fields")
        let noTokenizer = NSTemporaryDirectory() + "debertac-ids-only-\(ProcessInfo.processInfo.processIdentifier).so"
        defer { try? FileManager.default.removeItem(atPath: noTokenizer) }
        let compile = try CommandRunner.run(["compile", Self.example, "-o", noTokenizer, "--no-tokenizer", "--quiet"])
        #expect(compile.status == 0, "\(compile.stderr)")
        try fails(["zero-shot", noTokenizer, "x", "--labels", "a,b"], "compiled without a tokenizer")
        try fails(["tokenize", noTokenizer, "--input", "-"], stdin: #"{"text": ["a"]}"#, "compiled without a tokenizer")
    }
}
