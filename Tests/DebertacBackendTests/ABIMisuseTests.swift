@testable import DebertacBackend
import DebertacRuntime
import Foundation
import Testing

/// Every entry point of the C ABI called with bad arguments: each returns the documented
/// status (never crashes), and the session's last error names what was wrong.
@Suite struct ABIMisuseTests {
    static let ok: Int32 = 0, invalid: Int32 = 1, outOfRange: Int32 = 2, ioError: Int32 = 4

    /// xxlarge-toy: vocab 96, max length 64, no token types.
    func model(_ fixture: String = "models/xxlarge-toy") async throws -> CompiledModel {
        try CompiledModel(path: try await CompiledArtifacts.shared.library(fixture, .embedded))
    }

    @Test func statusStringsAndVersion() async throws {
        let m = try await model()
        #expect(m.abiVersion == 3)
        let names = (0...5).map { m.api.name(of: Int32($0)) }
        #expect(names == ["ok", "invalid argument", "out of range", "out of memory", "i/o error", "internal error"])
        #expect(m.api.name(of: 99) == "unknown status")
        #expect(m.api.name(of: -1) == "unknown status")
    }

    @Test func modelQueriesRejectNull() async throws {
        let m = try await model()
        let api = m.api
        #expect(api.numLabels(nil) == 0)
        #expect(api.label(nil, 0) == nil)
        #expect(api.maxSequenceLength(nil) == 0)
        #expect(api.vocabSize(nil) == 0)
        #expect(String(cString: api.info(nil)!) == "{}")
        #expect(api.label(m.rawModel, -1) == nil)
        #expect(api.label(m.rawModel, Int32(m.numLabels)) == nil)
        #expect(m.labels == ["CONTRADICTION", "NEUTRAL", "ENTAILMENT"])
        #expect(m.maxSequenceLength == 64 && m.vocabSize == 96)
        api.modelClose(nil)       // accepted
        api.sessionDestroy(nil)   // accepted
        #expect(!String(cString: api.lastError(nil)!).isEmpty)
    }

    @Test func modelOpenFailures() async throws {
        let m = try await model()
        let api = m.api
        #expect(api.modelOpen(nil, nil) == Self.invalid)
        #expect(String(cString: api.openError()!).contains("'model' is NULL"))
        var opened: OpaquePointer? = OpaquePointer(bitPattern: 0x1)
        #expect(api.modelOpen("/nonexistent/nli.so.weights", &opened) == Self.ioError)
        #expect(opened == nil)
        #expect(String(cString: api.openError()!).contains("/nonexistent/nli.so.weights"))
        // Some other file: not a weights file.
        #expect(api.modelOpen(m.path, &opened) == Self.ioError)
        #expect(opened == nil)
        #expect(String(cString: api.openError()!).contains("not the ones this model was compiled with"))
    }

    @Test func sessionCreateFailures() async throws {
        let m = try await model()
        let api = m.api
        var s: OpaquePointer? = OpaquePointer(bitPattern: 0x1)
        #expect(api.sessionCreate(nil, 1, 1, &s) == Self.invalid)
        #expect(s == nil)
        #expect(api.sessionCreate(m.rawModel, 1, 1, nil) == Self.invalid)
        for (batch, length) in [(0, 1), (1, 0), (-3, 8), (4, -1), (Int32.min, Int32.min)] {
            #expect(api.sessionCreate(m.rawModel, batch, length, &s) == Self.invalid, "\(batch) x \(length)")
            #expect(s == nil)
        }
        #expect(api.sessionCreate(m.rawModel, 1, 65, &s) == Self.outOfRange)
        #expect(String(cString: api.openError()!).contains("exceeds the model's (64)"))
        #expect(api.sessionCreate(m.rawModel, 1, Int32.max, &s) == Self.outOfRange)
        // More than the machine's memory: a status, not the OOM killer.
        #expect(api.sessionCreate(m.rawModel, Int32.max, 64, &s) == 3)
        #expect(s == nil)
        #expect(String(cString: api.openError()!).contains("cannot allocate"))
        #expect(api.sessionCreate(m.rawModel, 2, 64, &s) == Self.ok)
        #expect(String(cString: api.openError()!).isEmpty)
        api.sessionDestroy(s)
    }

    /// Runs `classify` on raw arrays and returns (status, last error).
    func classify(_ m: CompiledModel, _ s: OpaquePointer, batch: Int32, length: Int32, ids: [Int32]?,
                  mask: [Int32]? = nil, types: [Int32]? = nil, logits: Bool = true) -> (Int32, String) {
        var out = [Float](repeating: 0, count: 64 * 3)
        func pointer(_ a: [Int32]?) -> UnsafeMutablePointer<Int32>? {
            guard let a else { return nil }
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: max(a.count, 1))
            p.initialize(from: a, count: a.count)
            return p
        }
        let (i, k, t) = (pointer(ids), pointer(mask), pointer(types))
        defer { i?.deallocate(); k?.deallocate(); t?.deallocate() }
        let status = out.withUnsafeMutableBufferPointer { o in
            m.api.classify(s, batch, length, i, k, t, logits ? o.baseAddress : nil)
        }
        return (status, String(cString: m.api.lastError(s)!))
    }

    @Test func classifyFailures() async throws {
        let m = try await model()
        var s: OpaquePointer?
        #expect(m.api.sessionCreate(m.rawModel, 2, 8, &s) == Self.ok)
        let session = try #require(s)
        defer { m.api.sessionDestroy(session) }
        let ids: [Int32] = [1, 5, 6, 7, 2, 0, 0, 0]

        #expect(m.api.classify(nil, 1, 8, ids, nil, nil, nil) == Self.invalid)
        let cases: [(String, (Int32, String), Int32, String)] = [
            ("null ids", classify(m, session, batch: 1, length: 8, ids: nil), Self.invalid, "'input_ids' is NULL"),
            ("null logits", classify(m, session, batch: 1, length: 8, ids: ids, logits: false), Self.invalid, "'logits' is NULL"),
            ("batch 0", classify(m, session, batch: 0, length: 8, ids: ids), Self.invalid, "batch size 0"),
            ("negative batch", classify(m, session, batch: -1, length: 8, ids: ids), Self.invalid, "batch size -1"),
            ("length 0", classify(m, session, batch: 1, length: 0, ids: ids), Self.invalid, "sequence length 0"),
            ("batch above the session's", classify(m, session, batch: 3, length: 8, ids: ids + ids + ids), Self.outOfRange, "maximum batch (2)"),
            ("length above the session's", classify(m, session, batch: 1, length: 9, ids: ids + [2]), Self.outOfRange, "maximum length (8)"),
            ("length above the model's", classify(m, session, batch: 1, length: 65, ids: [Int32](repeating: 1, count: 65)), Self.outOfRange, "'max_position_embeddings' (64)"),
            ("negative id", classify(m, session, batch: 1, length: 8, ids: [1, -1, 6, 7, 2, 0, 0, 0]), Self.outOfRange, "'input_ids' row 0 column 1 is -1"),
            ("id = vocab", classify(m, session, batch: 2, length: 4, ids: [1, 5, 6, 2, 1, 96, 2, 0]), Self.outOfRange, "'input_ids' row 1 column 1 is 96, expected a token id in [0, 96)"),
            ("mask value 2", classify(m, session, batch: 1, length: 8, ids: ids, mask: [1, 1, 2, 1, 1, 0, 0, 0]), Self.invalid, "'attention_mask' row 0 column 2 is 2, expected 0 or 1"),
            ("mask value -1", classify(m, session, batch: 1, length: 8, ids: ids, mask: [1, 1, 1, 1, 1, 0, 0, -1]), Self.invalid, "column 7 is -1"),
            ("first token masked", classify(m, session, batch: 2, length: 4, ids: [1, 5, 6, 2, 1, 7, 2, 0], mask: [1, 1, 1, 1, 0, 1, 1, 0]), Self.invalid, "row 1 masks its first token"),
        ]
        for (what, (status, message), expected, fragment) in cases {
            #expect(status == expected, "\(what): status \(status), message \(message)")
            #expect(message.contains(fragment), "\(what): '\(message)' lacks '\(fragment)'")
        }
        // A good call afterwards succeeds and clears the message.
        let (status, message) = classify(m, session, batch: 1, length: 8, ids: ids, mask: [1, 1, 1, 1, 1, 0, 0, 0])
        #expect(status == Self.ok)
        #expect(message.isEmpty)
    }

    @Test func tokenTypeRanges() async throws {
        let m = try await model("models/biased-input-types")
        var s: OpaquePointer?
        #expect(m.api.sessionCreate(m.rawModel, 1, 4, &s) == Self.ok)
        let session = try #require(s)
        defer { m.api.sessionDestroy(session) }
        let ids: [Int32] = [1, 5, 6, 2]
        #expect(classify(m, session, batch: 1, length: 4, ids: ids, types: [0, 1, 1, 0]).0 == Self.ok)
        let (status, message) = classify(m, session, batch: 1, length: 4, ids: ids, types: [0, 2, 1, 0])
        #expect(status == Self.outOfRange)
        #expect(message.contains("'token_type_ids' row 0 column 1 is 2, expected a token type id in [0, 2)"))
        #expect(classify(m, session, batch: 1, length: 4, ids: ids, types: [0, 0, -1, 0]).0 == Self.outOfRange)
    }

    /// The status and message of a failed open, nil if it succeeded.
    func openFailure(_ path: String, _ weights: String) -> (status: String, message: String)? {
        do {
            _ = try CompiledModel(path: path, weightsPath: weights)
            return nil
        } catch {
            return ("\(error.status)", error.message)
        }
    }

    @Test("external weights: missing, wrong, damaged")
    func externalWeights() async throws {
        let path = try await CompiledArtifacts.shared.library("models/xxlarge-toy", .external)
        let weights = path + ".weights"
        // Found beside the .so by default, and by explicit path.
        _ = try CompiledModel(path: path)
        _ = try CompiledModel(path: path, weightsPath: weights)
        // Another model's weights file.
        let other = try await CompiledArtifacts.shared.library("models/v3-toy", .external) + ".weights"
        let wrong = openFailure(path, other)
        #expect(wrong?.status == "i/o error")
        #expect(wrong?.message.contains("not the ones this model was compiled with") == true)
        // A copy with one byte of the payload changed: same size and header, other contents.
        let damaged = BackendFixtures.scratch + "/damaged.weights"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: weights)))
        bytes[bytes.count - 100] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let changed = openFailure(path, damaged)
        #expect(changed?.status == "i/o error")
        #expect(changed?.message.contains("do not match their digest") == true)
        // Truncated.
        try Data(bytes.prefix(bytes.count - 64)).write(to: URL(fileURLWithPath: damaged))
        #expect(throws: DebertacError.self) { try CompiledModel(path: path, weightsPath: damaged) }
    }
}
