import DebertacRuntime
import Foundation
import Testing

/// Every failure is a `DebertacError` with the C status and the model's message; nothing
/// crashes, whatever the arguments.
@Suite struct RuntimeErrorTests {
    func model() async throws -> CompiledModel { try CompiledModel(path: try await RuntimeFixtures.exampleLibrary()) }

    /// The error `body` throws (failing the test when it throws none).
    func failure<T>(_ body: () throws -> T) -> DebertacError? {
        do {
            _ = try body()
            Issue.record("expected a DebertacError")
        } catch let error as DebertacError {
            return error
        } catch {
            Issue.record("expected a DebertacError, got \(error)")
        }
        return nil
    }

    @Test("files that are not loadable, not debertac models, or of a newer ABI are refused by name")
    func loading() async throws {
        let missing = failure { try CompiledModel(path: "/nonexistent/nli.so") }
        #expect(missing?.status == .cannotLoad)
        #expect(missing?.description.hasPrefix("cannot load '/nonexistent/nli.so': ") == true, "\(String(describing: missing))")

        // Shared objects that are not models: one with no debertac symbol, one of ABI version 4.
        let folder = RuntimeFixtures.scratch + "/not-models"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, source) in [("plain", "int answer(void) { return 42; }"),
                               ("newer", "#include <stdint.h>\nuint32_t debertac_abi_version(void) { return 4; }"),
                               ("zero", "#include <stdint.h>\nuint32_t debertac_abi_version(void) { return 0; }")] {
            try source.write(toFile: "\(folder)/\(name).c", atomically: true, encoding: .utf8)
            try RuntimeFixtures.run(["/usr/bin/env", "cc", "-shared", "-fPIC", "-o", "\(folder)/\(name).so", "\(folder)/\(name).c"])
        }
        let plain = failure { try CompiledModel(path: folder + "/plain.so") }
        #expect(plain?.status == .cannotLoad && plain?.message.contains("does not export 'debertac_abi_version'") == true)
        let newer = failure { try CompiledModel(path: folder + "/newer.so") }
        #expect(newer?.status == .cannotLoad)
        #expect(newer?.message.contains("ABI version is 4, expected 1 to 3 (it was compiled by a newer debertac: update DebertacRuntime)") == true,
                "\(String(describing: newer))")
        let zero = failure { try CompiledModel(path: folder + "/zero.so") }
        #expect(zero?.message.contains("ABI version is 0") == true)
        // Not an ELF file at all.
        let text = failure { try CompiledModel(path: RuntimeFixtures.example + "/config.json") }
        #expect(text?.status == .cannotLoad)
        // Weights that are not the model's: the C status and debertac_open_error's message.
        let library = try await RuntimeFixtures.exampleLibrary()
        let weights = failure { try CompiledModel(path: library, weightsPath: "/nonexistent/nli.so.weights") }
        #expect(weights?.status == .ioError && weights?.message.contains("/nonexistent/nli.so.weights") == true)
    }

    @Test("sessions refuse impossible maxima")
    func sessions() async throws {
        let model = try await model()
        let zero = failure { try model.makeSession(maxBatch: 0) }
        #expect(zero?.status == .invalidArgument && zero?.message.isEmpty == false)
        let long = failure { try model.makeSession(maxBatch: 1, maxLength: 129) }
        #expect(long?.status == .outOfRange && long?.message.contains("exceeds the model's (128)") == true, "\(String(describing: long))")
        let huge = failure { try model.makeSession(maxBatch: Int.max) }
        #expect(huge?.status == .outOfMemory)
    }

    @Test("classify refuses a batch above the session's, bad ids, masks, token types and ragged rows")
    func classify() async throws {
        let model = try await model()
        let session = try model.makeSession(maxBatch: 2, maxLength: 16)
        let row: [Int32] = [1, 11, 22, 2]
        let cases: [(String, DebertacError?, DebertacError.Status, String)] = [
            ("3 texts", failure { try session.classify(texts: ["a", "b", "c"]) }, .outOfRange, "batch size 3 exceeds the session's maximum batch (2)"),
            ("3 rows", failure { try session.classify(ids: [row, row, row]) }, .outOfRange, "maximum batch (2)"),
            ("17 tokens", failure { try session.classify(ids: [row + Array(repeating: 5, count: 13)]) }, .outOfRange, "maximum length (16)"),
            ("no rows", failure { try session.classify(ids: []) }, .invalidArgument, "batch size 0"),
            ("no texts", failure { try session.classify(texts: []) }, .invalidArgument, "batch size 0"),
            ("empty row", failure { try session.classify(ids: [[]]) }, .invalidArgument, "sequence length 0"),
            ("id = vocab", failure { try session.classify(ids: [[1, 1712, 2]]) }, .outOfRange, "'input_ids' row 0 column 1 is 1712, expected a token id in [0, 1712)"),
            ("mask 2", failure { try session.classify(ids: [row], mask: [[1, 2, 1, 1]]) }, .invalidArgument, "'attention_mask' row 0 column 1 is 2, expected 0 or 1"),
            ("first masked", failure { try session.classify(ids: [row], mask: [[0, 1, 1, 1]]) }, .invalidArgument, "masks its first token"),
            ("ragged ids", failure { try session.classify(ids: [row, [1, 2]]) }, .invalidArgument, "'ids' row 1 has 2 tokens, expected 4"),
            ("short mask", failure { try session.classify(ids: [row, row], mask: [[1, 1, 1, 1]]) }, .invalidArgument, "'mask' has 1 rows, expected 2"),
            ("pairs count", failure { try session.classify(texts: ["a", "b"], pairs: ["c"]) }, .invalidArgument, "'pairs' has 1 entries, expected 2"),
            ("NUL", failure { try session.classify(texts: ["a\u{0}b"]) }, .invalidArgument, "'texts[0]' holds a NUL character at byte 1"),
            ("no labels", failure { try session.zeroShot("x", labels: []) }, .invalidArgument, "0 candidate labels"),
            ("template", failure { try session.zeroShot("x", labels: ["a"], template: "no field") }, .invalidArgument, "expected exactly one"),
            ("tokenize 2", failure { try model.tokenize("x", pair: "y", maxLength: 2) }, .invalidArgument, "below the 3 special tokens of a pair"),
        ]
        for (what, error, status, fragment) in cases {
            #expect(error?.status == status, "\(what): \(String(describing: error))")
            #expect(error?.message.contains(fragment) == true, "\(what): '\(error?.message ?? "")' lacks '\(fragment)'")
            #expect(error?.description == "\(status): \(error?.message ?? "")")
        }
        // The session still works, and a success clears its last error.
        #expect(try session.classify(ids: [row]).count == 1)
        #expect(session.lastError.isEmpty)
        #expect(DebertacError.Status.unsupportedCPU.rawValue == 6 && "\(DebertacError.Status.unsupportedCPU)" == "unsupported cpu")
    }
}
