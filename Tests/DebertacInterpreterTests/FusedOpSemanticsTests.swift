import DebertacIR
import DebertacInterpreter
import Foundation
import Testing

/// The ops that optimisation passes create (docs/ir.md, "Ops created by passes"), each
/// against the unfused ops it replaces or a naive loop. `OpSemanticsTests.everyOpCovered`
/// counts the ops listed in `covered`.
@Suite struct FusedOpSemanticsTests {
    static let covered: Set<OpKind> = [
        .relBucketTable, .concatRows, .addPrefixRows, .linearAct, .addLayerNorm, .maskedLayerNorm,
        .disentangledAttention, .disentangledAttentionQKV,
    ]

    static func run(_ ir: String, _ inputs: [String: HostTensor] = [:], constants: [String: HostTensor] = [:]) throws -> [HostTensor] {
        try Interpreter(graph: try Graph.parse(ir), constants: ConstantTable(constants)).run(inputs: inputs)
    }

    static func random(_ shape: [Int], seed: UInt64) -> HostTensor {
        HostTensor(shape: shape, floats: OpSemanticsTests.random(shape.reduce(1, *), seed: seed).map { $0 / 2 })
    }

    static func expectClose(_ a: HostTensor, _ b: HostTensor, tolerance: Float = 1e-5, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.shape == b.shape, sourceLocation: sourceLocation)
        for (i, (x, y)) in zip(a.floats, b.floats).enumerated() where !(abs(x - y) <= tolerance * (1 + abs(y))) {
            Issue.record("element \(i): \(x), expected \(y)", sourceLocation: sourceLocation)
            return
        }
    }

    @Test("rel_bucket_table is rel_pos_index as a function of i − j")
    func relBucketTable() throws {
        let t = try Self.run("""
            graph @g() -> tensor<15xi32> {
              %t = rel_bucket_table() {buckets = 4, max_position = 8, radius = 7, span = 4} : tensor<15xi32>
              return %t
            }
            """)[0].ints
        #expect(t.count == 15)
        for r in -7...7 {
            #expect(Int(t[r + 7]) == RelativePosition.index(query: r, key: 0, buckets: 4, maxPosition: 8, span: 4))
        }
    }

    @Test("concat_rows, add_prefix_rows, linear_act")
    func smallOps() throws {
        let outputs = try Self.run("""
            graph @g(%x: tensor<BxTx2xf32>) -> (tensor<3x2xf32>, tensor<BxTx2xf32>, tensor<BxTx3xf32>) {
              %a = constant @a : tensor<1x2xf32>
              %b = constant @b : tensor<2x2xf32>
              %c = concat_rows(%a, %b) : tensor<3x2xf32>
              %p = add_prefix_rows(%x, %c) : tensor<BxTx2xf32>
              %y = linear_act(%x, %c) {activation = "relu"} : tensor<BxTx3xf32>
              return %c, %p, %y
            }
            """, ["x": HostTensor(shape: [1, 2, 2], floats: [1, -2, 3, 4])],
            constants: ["a": HostTensor(shape: [1, 2], floats: [1, 2]), "b": HostTensor(shape: [2, 2], floats: [3, 4, 5, 6])])
        #expect(outputs[0].floats == [1, 2, 3, 4, 5, 6])
        #expect(outputs[1].floats == [2, 0, 6, 8])
        // rows of x · cᵀ: [1·1 − 2·2, 1·3 − 2·4, 1·5 − 2·6] = [−3, −5, −7] → relu 0; [11, 25, 39].
        #expect(outputs[2].floats == [0, 0, 0, 11, 25, 39])
    }

    @Test("add_layer_norm and masked_layer_norm are the unfused ops")
    func norms() throws {
        let x = Self.random([2, 3, 8], seed: 1), y = Self.random([2, 3, 8], seed: 2)
        let mask = HostTensor(shape: [2, 3], ints: [1, 1, 1, 1, 0, 0])
        let outputs = try Self.run("""
            graph @g(%x: tensor<BxTx8xf32>, %y: tensor<BxTx8xf32>, %m: tensor<BxTxi32>) -> (tensor<BxTx8xf32>, tensor<BxTx8xf32>, tensor<BxTx8xf32>, tensor<BxTx8xf32>, tensor<BxTx8xf32>, tensor<BxTx8xf32>) {
              %g = constant @g : tensor<8xf32>
              %b = constant @b : tensor<8xf32>
              %s = add(%x, %y) : tensor<BxTx8xf32>
              %n = layer_norm(%s, %g, %b) {eps = 1e-07} : tensor<BxTx8xf32>
              %nm = mask_rows(%n, %m) : tensor<BxTx8xf32>
              %xn = layer_norm(%x, %g, %b) {eps = 1e-07} : tensor<BxTx8xf32>
              %xm = mask_rows(%xn, %m) : tensor<BxTx8xf32>
              %f1 = add_layer_norm(%x, %y, %g, %b) {eps = 1e-07} : tensor<BxTx8xf32>
              %f2 = add_layer_norm(%x, %y, %g, %b, %m) {eps = 1e-07} : tensor<BxTx8xf32>
              %f3 = masked_layer_norm(%x, %g, %b, %m) {eps = 1e-07} : tensor<BxTx8xf32>
              return %n, %f1, %nm, %f2, %xm, %f3
            }
            """, ["x": x, "y": y, "m": mask], constants: ["g": Self.random([8], seed: 3), "b": Self.random([8], seed: 4)])
        #expect(outputs[0] == outputs[1])
        #expect(outputs[2] == outputs[3])
        #expect(outputs[4] == outputs[5])
    }

    struct Variant: Sendable, CustomTestStringConvertible {
        let c2p: Bool, p2c: Bool, packed: Bool
        var testDescription: String { "c2p \(c2p), p2c \(p2c)\(packed ? ", packed" : "")" }
    }

    static let variants: [Variant] = [false, true].flatMap { packed in
        [(true, true), (true, false), (false, true), (false, false)].map { Variant(c2p: $0.0, p2c: $0.1, packed: packed) }
    }

    /// The fused op against `attention_scores` + `c2p_scores` + `p2c_scores` + `scale` +
    /// `masked_softmax` + `attention_context`, with T = 7 beyond the span 2 (clamped rows).
    @Test("disentangled_attention is the unfused attention", arguments: variants)
    func attention(variant: Variant) throws {
        let (b, t, h, d) = (2, 7, 2, 3)
        let w = h * d
        var unfused = ["%s0 = attention_scores(%q, %k) {heads = 2} : tensor<Bx2xTxTxf32>"]
        var last = "s0"
        var positional: [String] = []
        if variant.c2p {
            unfused.append("%c = c2p_scores(%q, %pk, %idx) {heads = 2} : tensor<Bx2xTxTxf32>")
            unfused.append("%s1 = add(%\(last), %c) : tensor<Bx2xTxTxf32>")
            last = "s1"
            positional.append("%pk")
        }
        if variant.p2c {
            unfused.append("%p = p2c_scores(%k, %pq, %idx) {heads = 2} : tensor<Bx2xTxTxf32>")
            unfused.append("%s2 = add(%\(last), %p) : tensor<Bx2xTxTxf32>")
            last = "s2"
            positional.append("%pq")
        }
        if variant.c2p || variant.p2c { positional.append("%table") }
        let flags = "{c2p = \(variant.c2p ? 1 : 0), heads = 2, p2c = \(variant.p2c ? 1 : 0), scale = 0.3}"
        let content = variant.packed ? "%qkv" : "%q, %k, %v"
        let fused = "%fused = \(variant.packed ? "disentangled_attention_qkv" : "disentangled_attention")(\(([content, "%mask"] + positional).joined(separator: ", "))) \(flags) : tensor<BxTx\(w)xf32>"
        let ir = """
            graph @g(%q: tensor<BxTx\(w)xf32>, %k: tensor<BxTx\(w)xf32>, %v: tensor<BxTx\(w)xf32>, %qkv: tensor<BxTx\(3 * w)xf32>, %mask: tensor<BxTxi32>) -> (tensor<BxTx\(w)xf32>, tensor<BxTx\(w)xf32>) {
              %pk = constant @pk : tensor<4x\(w)xf32>
              %pq = constant @pq : tensor<4x\(w)xf32>
              %idx = rel_pos_index() {buckets = 0, max_position = 2, span = 2} : tensor<TxTxi32>
              %table = rel_bucket_table() {buckets = 0, max_position = 2, radius = 9, span = 2} : tensor<19xi32>
              \(unfused.joined(separator: "\n  "))
              %scores = scale(%\(last)) {factor = 0.3} : tensor<Bx2xTxTxf32>
              %probs = masked_softmax(%scores, %mask) : tensor<Bx2xTxTxf32>
              %context = attention_context(%probs, %v) {heads = 2} : tensor<BxTx\(w)xf32>
              \(fused)
              return %context, %fused
            }
            """
        let q = Self.random([b, t, w], seed: 11), k = Self.random([b, t, w], seed: 12), v = Self.random([b, t, w], seed: 13)
        // qkv packs the same q, k, v as column blocks.
        var packed: [Float] = []
        for row in 0..<(b * t) {
            for part in [q, k, v] { packed += part.floats[(row * w)..<((row + 1) * w)] }
        }
        let mask = HostTensor(shape: [b, t], ints: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0])
        let outputs = try Self.run(ir, ["q": q, "k": k, "v": v, "qkv": HostTensor(shape: [b, t, 3 * w], floats: packed), "mask": mask],
                                   constants: ["pk": Self.random([4, w], seed: 14), "pq": Self.random([4, w], seed: 15)])
        Self.expectClose(outputs[1], outputs[0])
    }
}
