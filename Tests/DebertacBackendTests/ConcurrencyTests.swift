@testable import DebertacBackend
import DebertacRuntime
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
        @Sendable func run(_ session: Session) throws -> [[UInt32]] {
            try batches.map { batch in
                try session.classify(ids: batch.inputIds, mask: batch.attentionMask).map(\.logits).flatMap { $0.map(\.bitPattern) }
            }
        }
        let reference = try run(try model.makeSession(maxBatch: 3, maxLength: 64))
        Self.expectSameResults(model: model, maxBatch: 3, rounds: 25, reference: reference, run)
    }

    @Test("text calls from 4 threads on 4 sessions (and debertac_tokenize on the shared model) match a single-threaded run")
    func fourTextSessions() async throws {
        let model = try CompiledModel(path: try await CompiledArtifacts.shared.library("synthetic-nli", .embedded))
        let texts = ["A man is playing a guitar on stage.", "The cat chased the dog [SEP] twice.", "Le café ㎒ 😀👍🏽", ""]
        let pairs: [String?] = ["A person is making music.", nil, "ﬁ ＡＢＣ", "empty"]
        @Sendable func run(_ session: Session) throws -> [[UInt32]] {
            let logits = try session.classify(texts: texts, pairs: pairs).map(\.logits).flatMap { $0.map(\.bitPattern) }
            let scores = try session.zeroShot(texts[0], labels: ["music", "sports", "cooking"]).scores.map(\.bitPattern)
            let ids = try texts.map { try model.tokenize($0).ids.map { UInt32(bitPattern: $0) } }
            return [logits, scores] + ids
        }
        let reference = try run(try model.makeSession(maxBatch: 4, maxLength: 64))
        Self.expectSameResults(model: model, maxBatch: 4, rounds: 10, reference: reference, run)
    }

    /// Starts 4 threads that each make a session of `model` (maxBatch x 64; sessions are not
    /// Sendable: one per thread) and run `run` on it `rounds` times, all at once, and expects
    /// every result to equal `reference` bit for bit.
    static func expectSameResults(model: CompiledModel, maxBatch: Int, rounds: Int, reference: [[UInt32]],
                                  _ run: @escaping @Sendable (Session) throws -> [[UInt32]]) {
        let threadCount = 4
        let results = Results(count: threadCount)
        let threads = (0..<threadCount).map { index in
            Thread {
                var outcome: [[[UInt32]]] = []
                var failure: String?
                let session: Session
                do { session = try model.makeSession(maxBatch: maxBatch, maxLength: 64) } catch {
                    results.store(index, [], "\(error)")
                    return
                }
                for _ in 0..<rounds {
                    do { outcome.append(try run(session)) } catch { failure = "\(error)" }
                }
                results.store(index, outcome, failure)
            }
        }
        threads.forEach { $0.start() }
        results.wait()
        for index in 0..<threadCount {
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
