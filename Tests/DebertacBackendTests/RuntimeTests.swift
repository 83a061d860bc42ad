@testable import DebertacBackend
import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import DebertacPasses
import Foundation
import Testing

/// The C runtime's internals against their Swift counterparts: the arena layout against the
/// memory planner's `MemoryPlan.layout`, and the weights digest against `WeightsDigest`.
@Suite struct RuntimeTests {
    @Test("XXH64 test vectors")
    func digestVectors() {
        #expect(WeightsDigest.of([]) == 0xEF46_DB37_51D8_E999)
        #expect(WeightsDigest.of(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
    }

    @Test("the runtime's XXH64 equals WeightsDigest, fed at once or in pieces")
    func digestParity() throws {
        let harness = try Tools.harness.get()
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 3, 4, 7, 8, 31, 32, 33, 63, 64, 65, 100, 1000, 4099] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let path = BackendFixtures.scratch + "/digest-\(length).bin"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let c = try Tools.check([harness, "xxh64", path]).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(c == String(format: "%016llx", WeightsDigest.of(bytes)), "length \(length)")
            // Streaming in uneven pieces gives the same digest.
            var digest = WeightsDigest()
            var start = 0
            for piece in [5, 27, 1, 64, 13] where start < length {
                let end = min(length, start + piece)
                bytes[start..<end].withUnsafeBytes { digest.update($0) }
                start = end
            }
            if start < length { bytes[start...].withUnsafeBytes { digest.update($0) } }
            #expect(digest.finalize() == WeightsDigest.of(bytes), "length \(length), streamed")
        }
    }

    @Test("the runtime's arena layout equals MemoryPlan.layout", arguments: ["models/xxlarge-toy", "models/conv-variants", "models/no-relative"])
    func layoutParity(fixture: String) throws {
        let harness = try Tools.harness.get()
        let checkpoint = try Checkpoint.load(path: BackendFixtures.checkpoint(fixture))
        for optimised in [false, true] {
            var graph = try DebertaGraphBuilder.build(checkpoint: checkpoint)
            let store = ConstantStore(base: CheckpointConstants(checkpoint: checkpoint))
            let context = PassContext(constants: store, maxSequenceLength: checkpoint.config.maxPositionEmbeddings)
            try PassManager(passes: optimised ? Pipeline.defaultPasses() : [FoldConstants()]).run(&graph, context: context)
            let plan = try ExecutionPlan(graph: graph)
            for (batch, length) in [(1, 1), (1, 20), (3, 24), (8, 64), (2, 7)] {
                var input = "\(plan.buffers.count) \(batch) \(length)\n"
                for b in plan.buffers { input += "\(b.bytes) \(b.batchPower) \(b.lengthPower) \(b.firstUse) \(b.lastUse)\n" }
                let lines = try Tools.check([harness, "layout"], input: input).split(separator: "\n").compactMap { Int($0) }
                let expected = plan.memory.layout(maxBatch: batch, maxLength: length)
                #expect(Array(lines.dropLast()) == expected.groupOffsets, "\(fixture) \(batch)x\(length)")
                #expect(lines.last == expected.arenaBytes)
            }
        }
    }
}
