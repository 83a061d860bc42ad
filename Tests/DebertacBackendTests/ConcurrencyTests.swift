@testable import DebertacBackend
import Foundation
import Testing

/// Sessions of one model used from several threads at once give the same bits as one
/// session used alone.
@Suite struct ConcurrencyTests {
    @Test("4 threads on 4 sessions of one model match a single-threaded run bit for bit")
    func fourSessions() async throws {
        let fixture = "models/xxlarge-toy"
        let model = try CompiledModel(path: try await CompiledArtifacts.shared.library(fixture, .embedded))
        let batches = try Golden.load(fixture).batches
        @Sendable func run(_ session: CompiledModel.Session) throws -> [[UInt32]] {
            try batches.map { batch in
                try session.classify(inputIds: batch.inputIds, attentionMask: batch.attentionMask).flatMap { $0.map(\.bitPattern) }
            }
        }
        let reference = try run(try model.session(maxBatch: 3, maxLength: 64))

        let sessions = try (0..<4).map { _ in try model.session(maxBatch: 3, maxLength: 64) }
        Self.expectSameResults(sessions: sessions, rounds: 25, reference: reference, run)
    }

    @Test("text calls from 4 threads on 4 sessions (and debertac_tokenize on the shared model) match a single-threaded run")
    func fourTextSessions() async throws {
        let model = try CompiledModel(path: try await CompiledArtifacts.shared.library("synthetic-nli", .embedded))
        let texts = ["A man is playing a guitar on stage.", "The cat chased the dog [SEP] twice.", "Le café ㎒ 😀👍🏽", ""]
        let pairs: [String?] = ["A person is making music.", nil, "ﬁ ＡＢＣ", "empty"]
        @Sendable func run(_ session: CompiledModel.Session) throws -> [[UInt32]] {
            let logits = try session.classify(texts: texts, pairs: pairs).flatMap { $0.map(\.bitPattern) }
            let scores = try session.zeroShot(texts[0], labels: ["music", "sports", "cooking"]).map(\.bitPattern)
            let ids = try texts.map { try model.tokenize($0).ids.map { UInt32(bitPattern: $0) } }
            return [logits, scores] + ids
        }
        let reference = try run(try model.session(maxBatch: 4, maxLength: 64))
        let sessions = try (0..<4).map { _ in try model.session(maxBatch: 4, maxLength: 64) }
        Self.expectSameResults(sessions: sessions, rounds: 10, reference: reference, run)
    }

    /// Runs `run` `rounds` times on each session, one thread per session, all at once, and
    /// expects every result to equal `reference` bit for bit.
    static func expectSameResults(sessions: [CompiledModel.Session], rounds: Int, reference: [[UInt32]],
                                  _ run: @escaping @Sendable (CompiledModel.Session) throws -> [[UInt32]]) {
        let results = Results(count: sessions.count)
        let threads = sessions.enumerated().map { index, session in
            Thread {
                var outcome: [[[UInt32]]] = []
                var failure: String?
                for _ in 0..<rounds {
                    do { outcome.append(try run(session)) } catch { failure = "\(error)" }
                }
                results.store(index, outcome, failure)
            }
        }
        threads.forEach { $0.start() }
        results.wait()
        for index in sessions.indices {
            let (outcome, failure) = results.get(index)
            #expect(failure == nil)
            #expect(outcome.count == rounds)
            for run in outcome { #expect(run == reference, "session \(index) differs from the single-threaded run") }
        }
    }

    /// Thread results, collected under a lock.
    final class Results: @unchecked Sendable {
        private let lock = NSCondition()
        private var values: [Int: ([[[UInt32]]], String?)] = [:]
        private let count: Int
        init(count: Int) { self.count = count }
        func store(_ index: Int, _ value: [[[UInt32]]], _ failure: String?) {
            lock.lock()
            values[index] = (value, failure)
            lock.broadcast()
            lock.unlock()
        }
        func wait() {
            lock.lock()
            while values.count < count { lock.wait() }
            lock.unlock()
        }
        func get(_ index: Int) -> ([[[UInt32]]], String?) {
            lock.lock()
            defer { lock.unlock() }
            return values[index] ?? ([], "missing")
        }
    }
}
