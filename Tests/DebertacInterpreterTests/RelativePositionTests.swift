import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import Testing

/// The bucket function and the `rel_pos_index` op against HF's `build_relative_position`.
@Suite struct RelativePositionTests {
    /// Variants with relative attention (their goldens carry HF's table for T = 24).
    static var relativeVariants: [String] {
        InterpreterFixtures.modelVariants.filter { !["no-relative", "v1-defaults", "v1-no-relative-scaled"].contains($0) }
    }

    @Test("bucket(i − j) equals HF's relative_position_index", arguments: relativeVariants)
    func bucketTable(variant: String) throws {
        let folder = InterpreterFixtures.model(variant)
        let config = try DebertaConfig.load(path: folder + "/config.json")
        let table = try #require(try Golden.load(folder + "/golden.json").relativePositionIndex)
        #expect(table.count == 24)
        let buckets = max(config.positionBuckets, 0), maxPosition = config.effectiveMaxRelativePositions
        for (i, row) in table.enumerated() {
            #expect(row.count == table.count)
            for (j, expected) in row.enumerated() {
                let bucket = RelativePosition.bucket(i - j, buckets: buckets, maxPosition: maxPosition)
                #expect(bucket == expected, "\(variant): bucket(\(i) − \(j)) = \(bucket), HF \(expected)")
            }
        }
    }

    @Test("the rel_pos_index op is HF's table + span, clamped", arguments: relativeVariants)
    func indexOp(variant: String) throws {
        let folder = InterpreterFixtures.model(variant)
        let checkpoint = try Checkpoint.load(path: folder)
        let config = checkpoint.config
        let table = try #require(try Golden.load(folder + "/golden.json").relativePositionIndex)
        let graph = try DebertaGraphBuilder.build(checkpoint: checkpoint)
        let interpreter = try Interpreter(graph: graph, constants: CheckpointConstants(checkpoint: checkpoint))
        let length = table.count
        let input = InferenceInput(inputIds: [[Int32](repeating: 1, count: length)])
        let index = try #require(try interpreter.run(input, values: ["rel.index"])["rel.index"])
        #expect(index.shape == [length, length])
        let span = config.attentionSpan
        let expected = table.flatMap { $0 }.map { Int32(min(max($0 + span, 0), 2 * span - 1)) }
        #expect(index.ints == expected)
    }

    /// Values printed by transformers 5.24.0's `make_log_bucket_position` (float32).
    @Test("flagship buckets (256, 512) at the log-range edges")
    func flagshipBuckets() {
        let cases: [(r: Int, bucket: Int)] = [
            (0, 0), (4, 4), (-4, -4), (127, 127), (128, 128), (129, 129),
            (511, 255), (512, 256), (1536, 356), (-1536, -356),
        ]
        for (r, bucket) in cases {
            #expect(RelativePosition.bucket(r, buckets: 256, maxPosition: 512) == bucket, "r = \(r)")
        }
        // |r| = maxpos − 1 lands exactly on the last bucket for the fixture configs too.
        #expect(RelativePosition.bucket(63, buckets: 8, maxPosition: 64) == 7)
        #expect(RelativePosition.bucket(31, buckets: 8, maxPosition: 32) == 7)
    }

    @Test("bucketing is odd, so p2c can share c2p's index", arguments: [(256, 512), (8, 64), (8, 32), (-1, 16)])
    func odd(buckets: Int, maxPosition: Int) {
        for r in 0...2048 {
            #expect(RelativePosition.bucket(-r, buckets: buckets, maxPosition: maxPosition)
                    == -RelativePosition.bucket(r, buckets: buckets, maxPosition: maxPosition))
        }
    }

    @Test("without buckets the index is i − j + span, clamped")
    func unbucketed() {
        let table = RelativePosition.indexTable(length: 40, buckets: 0, maxPosition: 16, span: 16)
        for i in 0..<40 {
            for j in 0..<40 {
                #expect(table.ints[i * 40 + j] == Int32(min(max(i - j + 16, 0), 31)))
            }
        }
    }
}
