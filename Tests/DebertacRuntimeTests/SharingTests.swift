import DebertacRuntime
import Testing

/// A model is `Sendable`: threads share it, each with its own session, and get the same bits.
@Suite struct SharingTests {
    @Test("one model shared by 2 concurrent tasks, a session each, gives identical results")
    func twoThreads() async throws {
        let model = try CompiledModel(path: try await RuntimeFixtures.exampleLibrary())
        let texts = ["A man is playing a guitar on stage.", "The cat chased the dog.", "Le café ㎒ 😀👍🏽"]
        let pairs: [String?] = ["A person is making music.", nil, "The dog is sleeping."]
        @Sendable func run() throws -> [[UInt32]] {
            let session = try model.makeSession(maxBatch: 3, maxLength: 64)
            var bits: [[UInt32]] = []
            for _ in 0..<10 {
                bits.append(try session.classify(texts: texts, pairs: pairs).flatMap { $0.logits.map(\.bitPattern) })
                bits.append(try session.zeroShot(texts[0], labels: ["music", "sports", "cooking"]).scores.map(\.bitPattern))
            }
            return bits
        }
        let reference = try run()
        let results = try await withThrowingTaskGroup(of: [[UInt32]].self) { group in
            for _ in 0..<2 { group.addTask { try run() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 2)
        for result in results { #expect(result == reference) }
    }
}
