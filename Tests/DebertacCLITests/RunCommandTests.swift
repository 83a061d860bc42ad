import DebertacFrontend
import Foundation
import Testing

/// `debertac run` end to end: JSON in, logits and labels out, errors on stderr.
@Suite struct RunCommandTests {
    func golden() throws -> JSONValue {
        let data = try Data(contentsOf: URL(fileURLWithPath: CommandRunner.root + "/examples/tiny-nli/golden.json"))
        return try JSONParser.parse([UInt8](data))
    }

    @Test func classifiesTheExampleLikeHuggingFace() throws {
        let result = try CommandRunner.run(["run", "examples/tiny-nli", "--input", "examples/tiny-nli/input.json"])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try JSONParser.parse(Array(result.stdout.utf8))
        let logits = output["logits"]?.arrayValue?.map { $0.arrayValue?.compactMap(\.doubleValue) ?? [] } ?? []
        let batches = try golden()["batches"]?.arrayValue ?? []
        let expected = batches.first?["logits"]?.arrayValue?.map { $0.arrayValue?.compactMap(\.doubleValue) ?? [] } ?? []
        #expect(logits.count == expected.count && !logits.isEmpty)
        for (row, want) in zip(logits, expected) {
            for (a, b) in zip(row, want) { #expect(abs(a - b) <= 1e-4 * (1 + abs(b)), "\(a) vs \(b)") }
        }
        let labels = output["labels"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let names = ["CONTRADICTION", "NEUTRAL", "ENTAILMENT"]
        #expect(labels == logits.map { row in names[row.indices.max { row[$0] < row[$1] } ?? 0] })
    }

    @Test func readsStandardInput() throws {
        let input = #"{"input_ids": [[1, 50, 60, 2]]}"#
        let result = try CommandRunner.run(["run", "examples/tiny-nli/pytorch_model.bin", "--input", "-"], stdin: input)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"logits\": [["))
    }

    @Test(arguments: [
        (#"{"input_ids": [[1, 500, 2]]}"#, "expected a token id in [0, 96)"),
        (#"{"input_ids": [[1, 5, 2]], "attention_mask": [[1, 2, 1]]}"#, "attention_mask"),
        (#"{"input_ids": [[1, 5], [1]]}"#, "input_ids"),
        (#"{"input_ids": "#, "input"),
        (#"{"input_ids": [[]]}"#, "input_ids"),
    ])
    func rejectsBadInput(input: String, mentions: String) throws {
        let result = try CommandRunner.run(["run", "examples/tiny-nli", "--input", "-"], stdin: input)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains(mentions), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func rejectsSequencesLongerThanTheModel() throws {
        let ids = "[" + (0..<65).map { _ in "5" }.joined(separator: ",") + "]"
        let result = try CommandRunner.run(["run", "examples/tiny-nli", "--input", "-"], stdin: "{\"input_ids\": [\(ids)]}")
        #expect(result.status == 1 && result.stderr.contains("64"), "\(result.stderr)")
    }
}
