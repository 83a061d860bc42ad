@testable import DebertacBackend
import DebertacRuntime
import Foundation
import Testing

/// examples/c and examples/swift (a package using DebertacRuntime) build and classify text pairs with the compiled example
/// (examples/synthetic-nli, with its tokenizer), agreeing with the in-process text calls; the C
/// one also with DEBERTAC_NUM_THREADS set.
@Suite struct ExampleTests {
    static let fixture = "synthetic-nli"
    /// Two pairs and one single text, as the examples take them.
    static let arguments = ["A man is playing a guitar on stage.|A person is making music.",
                            "The cat chased the dog.|The cat is sleeping.",
                            "Three apples are on the table."]

    /// What the examples should print: `i: LABEL` then `LABEL=p` for each label.
    func expected(_ path: String) throws -> [String] {
        let model = try CompiledModel(path: path)
        let rows = Self.arguments.map { $0.split(separator: "|", maxSplits: 1).map(String.init) }
        let logits = try model.makeSession(maxBatch: rows.count)
            .classify(texts: rows.map { $0[0] }, pairs: rows.map { $0.count > 1 ? $0[1] : nil }).map(\.logits)
        let labels = model.labels
        return logits.enumerated().map { b, row in
            let best = row.indices.max { row[$0] < row[$1] }!
            let exps = row.map { Foundation.exp(Double($0 - row[best])) }
            let total = exps.reduce(0, +)
            return "\(b): \(labels[best])" + row.indices.map { " \(labels[$0])=" + String(format: "%.4f", exps[$0] / total) }.joined()
        }
    }

    /// Lines as printed, each probability allowed to differ by 1 in the last digit (float vs double).
    func matches(_ output: String, _ expected: [String]) -> Bool {
        let lines = output.split(separator: "\n").map(String.init)
        guard lines.count == expected.count else { return false }
        for (got, want) in zip(lines, expected) {
            let a = got.split(separator: " "), b = want.split(separator: " ")
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where x != y {
                let (px, py) = (x.split(separator: "="), y.split(separator: "="))
                guard px.count == 2, py.count == 2, px[0] == py[0], let vx = Double(px[1]), let vy = Double(py[1]),
                      abs(vx - vy) <= 1.5e-4 else { return false }
            }
        }
        return true
    }

    @Test("examples/c builds and classifies text pairs")
    func cExample() async throws {
        let library = try await CompiledArtifacts.shared.library(Self.fixture, .embedded)
        let binary = BackendFixtures.scratch + "/classify-c"
        try Tools.check(["cc", "-std=gnu11", "-Wall", "-Werror", "-I", BackendFixtures.repository + "/include",
                         BackendFixtures.repository + "/examples/c/classify.c", "-o", binary, "-ldl", "-lm"])
        let expected = try expected(library)
        let output = try Tools.check([binary, library] + Self.arguments)
        #expect(matches(output, expected), "\(output)\nexpected\n\(expected.joined(separator: "\n"))")
        #expect(output.hasPrefix("0: ENTAILMENT"), "the trained example gets the quick start's first pair right")
        // With one and with three threads per session: the same bits print.
        #expect(try Tools.check([binary, library] + Self.arguments, environment: ["DEBERTAC_NUM_THREADS": "1"]) == output)
        #expect(try Tools.check([binary, library] + Self.arguments, environment: ["DEBERTAC_NUM_THREADS": "3"]) == output)
        // Errors go to stderr with a status: a model without a tokenizer.
        let idsOnly = try await CompiledArtifacts.shared.library("models/xxlarge-toy", .embedded)
        let refused = try Tools.run([binary, idsOnly, "a|b"])
        #expect(refused.status == 1 && refused.stderr.contains("compiled without a tokenizer"))
    }

    @Test("examples/swift, a package depending on this one by path, builds with DebertacRuntime alone and classifies text pairs")
    func swiftExample() async throws {
        let library = try await CompiledArtifacts.shared.library(Self.fixture, .embedded)
        let swift = FileManager.default.isExecutableFile(atPath: "/opt/swift/usr/bin/swift") ? "/opt/swift/usr/bin/swift" : "swift"
        // Its own build folder inside ours: kept between runs (about 20 s from clean: SwiftPM
        // builds only the targets of the products it uses, here DebertacRuntime).
        let scratch = BackendFixtures.repository + "/.build/examples-swift"
        let products = try Tools.check([swift, "build", "--package-path", BackendFixtures.repository + "/examples/swift",
                                        "--scratch-path", scratch, "--show-bin-path"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try Tools.check([swift, "build", "--package-path", BackendFixtures.repository + "/examples/swift", "--scratch-path", scratch])
        // Nothing with unsafeFlags (LLVM, the backend) was compiled for it.
        #expect(!FileManager.default.fileExists(atPath: products + "/DebertacBackend.build/Backend.swift.o"))
        let binary = products + "/classify-swift"
        let output = try Tools.check([binary, library] + Self.arguments)
        let expected = try expected(library)
        #expect(matches(output, expected), "\(output)\nexpected\n\(expected.joined(separator: "\n"))")
        // Errors: the library's DebertacError on stderr, status 1.
        let idsOnly = try await CompiledArtifacts.shared.library("models/xxlarge-toy", .embedded)
        let refused = try Tools.run([binary, idsOnly, "a|b"])
        #expect(refused.status == 1 && refused.stderr.contains("compiled without a tokenizer"))
        let missing = try Tools.run([binary, "/nonexistent/nli.so", "a|b"])
        #expect(missing.status == 1 && missing.stderr.hasPrefix("cannot load '/nonexistent/nli.so'"))
    }
}
