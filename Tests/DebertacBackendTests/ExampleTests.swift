@testable import DebertacBackend
import Foundation
import Testing

/// examples/c and examples/swift build and classify with a compiled fixture, agreeing with
/// the in-process model; the C one also with DEBERTAC_NUM_THREADS set.
@Suite struct ExampleTests {
    static let fixture = "models/v3-toy"
    /// Two pairs and one full sequence (the golden `single` batch).
    static let sequences = ["5 71 19 31|37 37 50", "9 30 89|15 84 64 73", "1 5 71 19 31 37 37 50 9 30 89 15 84 64 73 67 61 35 64 2"]

    /// What the examples should print: `i: LABEL` then `LABEL=p` for each label.
    func expected(_ path: String) throws -> [String] {
        let model = try CompiledModel(path: path)
        let ids: [[Int32]] = [
            [1, 5, 71, 19, 31, 2, 37, 37, 50, 2],
            [1, 9, 30, 89, 2, 15, 84, 64, 73, 2],
            [1, 5, 71, 19, 31, 37, 37, 50, 9, 30, 89, 15, 84, 64, 73, 67, 61, 35, 64, 2],
        ]
        let length = ids.map(\.count).max()!
        let padded = ids.map { $0 + Array(repeating: 0, count: length - $0.count) }
        let mask = ids.map { Array(repeating: Int32(1), count: $0.count) + Array(repeating: 0, count: length - $0.count) }
        let logits = try model.session(maxBatch: 3, maxLength: length).classify(inputIds: padded, attentionMask: mask)
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

    @Test("examples/c builds and classifies")
    func cExample() async throws {
        let library = try await CompiledArtifacts.shared.library(Self.fixture, .embedded)
        let binary = BackendFixtures.scratch + "/classify-c"
        try Tools.check(["cc", "-std=gnu11", "-Wall", "-Werror", "-I", BackendFixtures.repository + "/include",
                         BackendFixtures.repository + "/examples/c/classify.c", "-o", binary, "-ldl", "-lm"])
        let expected = try expected(library)
        let output = try Tools.check([binary, library] + Self.sequences)
        #expect(matches(output, expected), "\(output)\nexpected\n\(expected.joined(separator: "\n"))")
        // From a file, and with one and with three threads per session: the same bits print.
        let file = BackendFixtures.scratch + "/sequences.txt"
        try (Self.sequences.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try Tools.check([binary, library, "-f", file], environment: ["DEBERTAC_NUM_THREADS": "1"]) == output)
        #expect(try Tools.check([binary, library, "-f", file], environment: ["DEBERTAC_NUM_THREADS": "3"]) == output)
        // Errors go to stderr with a status.
        let bad = try Tools.run([binary, library, "1 500 2"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("out of range: 'input_ids' row 0 column 1 is 500"))
    }

    @Test("examples/swift builds with swiftc and classifies")
    func swiftExample() async throws {
        let library = try await CompiledArtifacts.shared.library(Self.fixture, .embedded)
        let binary = BackendFixtures.scratch + "/classify-swift"
        let swiftc = FileManager.default.isExecutableFile(atPath: "/opt/swift/usr/bin/swiftc") ? "/opt/swift/usr/bin/swiftc" : "swiftc"
        try Tools.check([swiftc, BackendFixtures.repository + "/examples/swift/classify.swift", "-o", binary])
        let output = try Tools.check([binary, library] + Self.sequences)
        let expected = try expected(library)
        #expect(matches(output, expected), "\(output)\nexpected\n\(expected.joined(separator: "\n"))")
    }
}
