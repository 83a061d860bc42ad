import Foundation

/// The example model compiled once per test process by the built `debertac` (as a user would:
/// `debertac compile examples/synthetic-nli -o nli.so`), and its Hugging Face goldens.
enum RuntimeFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let example = repository + "/examples/synthetic-nli"

    /// The built `debertac`: the test bundle lives in the same products folder.
    static let debertac: String = {
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundleFolder, bundleFolder.deletingLastPathComponent()].map { $0.appendingPathComponent("debertac").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    /// A fresh directory for this test process's outputs, removed at exit.
    static let scratch: String = {
        let path = NSTemporaryDirectory() + "debertac-runtime-tests-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: RuntimeFixtures.scratch) }
        return path
    }()

    /// Where `exampleLibrary()` puts the compiled example.
    static var exampleLibraryPath: String { scratch + "/nli.so" }

    /// examples/synthetic-nli compiled with its tokenizer (once; later calls wait for it).
    static func exampleLibrary() async throws -> String { try await Compiled.shared.example() }

    actor Compiled {
        static let shared = Compiled()
        private var task: Task<String, any Error>?

        func example() async throws -> String {
            if let task { return try await task.value }
            let task = Task.detached { () throws -> String in
                let output = RuntimeFixtures.exampleLibraryPath
                try RuntimeFixtures.run([RuntimeFixtures.debertac, "compile", RuntimeFixtures.example, "-o", output])
                return output
            }
            self.task = task
            return try await task.value
        }
    }

    /// Runs `arguments` and returns its standard output; throws with its standard error when it fails.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolFailure(command: arguments.joined(separator: " "), output: String(decoding: stderr, as: UTF8.self))
        }
        return String(decoding: stdout, as: UTF8.self)
    }

    struct ToolFailure: Error, CustomStringConvertible {
        let command: String, output: String
        var description: String { "'\(command)' failed: \(output)" }
    }
}

/// examples/synthetic-nli/golden.json (scripts/train_example_nli.py: transformers' tokenizer,
/// model and zero-shot pipeline in fp32).
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
        /// Sorted by score, as the pipeline returns them.
        let labels: [String]
        let scores: [Double]
    }
    let pairs: [Pair]
    let zeroShot: [ZeroShot]

    static func load() throws -> ExampleGolden {
        let data = try Data(contentsOf: URL(fileURLWithPath: RuntimeFixtures.example + "/golden.json"))
        let json = try require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let pairs = (json["pairs"] as? [[String: Any]] ?? []).map { p in
            Pair(premise: p["premise"] as? String ?? "", hypothesis: p["hypothesis"] as? String ?? "",
                 inputIds: (p["input_ids"] as? [NSNumber] ?? []).map(\.int32Value),
                 logits: (p["logits"] as? [NSNumber] ?? []).map(\.floatValue),
                 label: p["label"] as? String ?? "")
        }
        let calls = (json["zero_shot"] as? [[String: Any]] ?? []).map { z in
            ZeroShot(text: z["text"] as? String ?? "", candidates: z["candidate_labels"] as? [String] ?? [],
                     template: z["hypothesis_template"] as? String ?? "This example is {}.",
                     multiLabel: z["multi_label"] as? Bool ?? false, labels: z["labels"] as? [String] ?? [],
                     scores: (z["scores"] as? [NSNumber] ?? []).map(\.doubleValue))
        }
        return ExampleGolden(pairs: pairs, zeroShot: calls)
    }
}

/// `#require` outside a test function: a thrown error instead of an issue.
private func require<T>(_ value: T?) throws -> T {
    guard let value else { throw RuntimeFixtures.ToolFailure(command: "golden.json", output: "unexpected layout") }
    return value
}
