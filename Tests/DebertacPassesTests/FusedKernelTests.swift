import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import DebertacPasses
import Testing

/// The relative-position table the fused attention reads, against `rel_pos_index`.
@Suite struct RelativeTableTests {
    struct Setting: Sendable, CustomTestStringConvertible {
        let buckets: Int, maxPosition: Int, span: Int, maxLength: Int
        var testDescription: String { "buckets \(buckets), max_position \(maxPosition), span \(span), T ≤ \(maxLength)" }
    }

    static let settings: [Setting] = [
        Setting(buckets: 256, maxPosition: 512, span: 256, maxLength: 512),   // xxlarge-mnli, deberta-v3
        Setting(buckets: 8, maxPosition: 64, span: 8, maxLength: 64),         // xxlarge-toy
        Setting(buckets: 8, maxPosition: 32, span: 8, maxLength: 64),         // max-relative-positions
        Setting(buckets: 0, maxPosition: 16, span: 16, maxLength: 64),        // no-buckets
    ]

    static func table(_ s: Setting) throws -> [Int32] {
        let graph = try Graph.parse("""
            // debertac IR
            graph @t() -> tensor<\(2 * s.maxLength - 1)xi32> {
              %t = rel_bucket_table() {buckets = \(s.buckets), max_position = \(s.maxPosition), radius = \(s.maxLength - 1), span = \(s.span)} : tensor<\(2 * s.maxLength - 1)xi32>
              return %t
            }
            """)
        return try Interpreter(graph: graph, constants: ConstantTable()).run(inputs: [:])[0].ints
    }

    @Test("table[i − j + R] equals rel_pos_index[i, j] for every length up to the maximum", arguments: settings)
    func matchesIndex(setting s: Setting) throws {
        let table = try Self.table(s)
        let radius = s.maxLength - 1
        let index = RelativePosition.indexTable(length: s.maxLength, buckets: s.buckets, maxPosition: s.maxPosition, span: s.span).ints
        for i in 0..<s.maxLength {
            for j in 0..<s.maxLength where table[i - j + radius] != index[i * s.maxLength + j] {
                Issue.record("i = \(i), j = \(j): table \(table[i - j + radius]), index \(index[i * s.maxLength + j])")
                return
            }
        }
    }

    /// The fused kernel multiplies by rows lo ... hi of the position tables, the extremes of
    /// the table over i − j in −(T−1) ... T−1: monotone steps of at most one row make that at
    /// most min(2T − 1, 2 · span) rows.
    @Test("reachable position rows are at most min(2T − 1, 2·span)", arguments: settings)
    func reachableRows(setting s: Setting) throws {
        let table = try Self.table(s)
        let radius = s.maxLength - 1
        for r in 1...radius {
            let step = table[r + radius] - table[r - 1 + radius]
            #expect(step == 0 || step == 1, "step at r = \(r) is \(step)")
        }
        for length in [1, 2, 5, 8, 100, s.maxLength] where length <= s.maxLength {
            let values = (-(length - 1)...(length - 1)).map { table[$0 + radius] }
            let rows = Int(values.max()! - values.min()!) + 1
            #expect(rows <= min(2 * length - 1, 2 * s.span))
            if s.buckets == 256 && length == 8 { #expect(rows == 15) }
            if s.buckets == 256 && length == 512 { #expect(rows == 511) }  // idx(−511) = 1, idx(511) = 511
        }
    }
}
