import DebertacIR
import DebertacInterpreter
import Foundation
import Testing

/// Each op on small hand-written IR graphs, against naive loops written from the op
/// table's one-line semantics (in f64 where it matters). Ops the DeBERTa fixtures never
/// reach (relu, sigmoid, silu, quick_gelu, mul, slice_rows, ...) are covered only here.
@Suite struct OpSemanticsTests {
    /// Parses `ir`, runs it and returns its first output.
    static func run(_ ir: String, _ inputs: [String: HostTensor] = [:], constants: [String: HostTensor] = [:]) throws -> HostTensor {
        let graph = try Graph.parse(ir)
        return try Interpreter(graph: graph, constants: ConstantTable(constants)).run(inputs: inputs)[0]
    }

    /// Deterministic values in [-2, 2).
    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Double(state >> 40) / Double(1 << 24) * 4 - 2)
        }
    }

    static func expectClose(_ actual: [Float], _ expected: [Double], tolerance: Double = 1e-6,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        for (i, (a, b)) in zip(actual, expected).enumerated() where !(abs(Double(a) - b) <= tolerance * (1 + abs(b))) {
            Issue.record("element \(i): \(a), expected \(b)", sourceLocation: sourceLocation)
            return
        }
    }

    // MARK: - Elementwise

    static let activationReferences: [(OpKind, @Sendable (Double) -> Double)] = [
        (.gelu, { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }),
        (.geluTanh, { 0.5 * $0 * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }),
        (.relu, { max($0, 0) }),
        (.tanh, { Foundation.tanh($0) }),
        (.sigmoid, { 1 / (1 + exp(-$0)) }),
        (.silu, { $0 / (1 + exp(-$0)) }),
        (.quickGelu, { $0 / (1 + exp(-1.702 * $0)) }),
    ]

    @Test("every activation op", arguments: activationReferences.map(\.0))
    func activation(kind: OpKind) throws {
        let reference = try #require(Self.activationReferences.first { $0.0 == kind }?.1)
        let x: [Float] = [-12, -3, -1.5, -0.5, -1e-3, 0, 1e-3, 0.5, 1.5, 3, 12]
        let y = try Self.run("""
            graph @g(%x: tensor<11xf32>) -> tensor<11xf32> {
              %y = \(kind.rawValue)(%x) : tensor<11xf32>
              return %y
            }
            """, ["x": HostTensor(shape: [11], floats: x)])
        Self.expectClose(y.floats, x.map { reference(Double($0)) })
    }

    @Test("every activation op is covered")
    func activationsCovered() {
        #expect(Set(Self.activationReferences.map(\.0)) == Set(OpKind.activations))
    }

    @Test("add and mul broadcast like numpy")
    func broadcasting() throws {
        let a = HostTensor(shape: [2, 1, 3], floats: [1, 2, 3, 4, 5, 6])
        let b = HostTensor(shape: [4, 1], floats: [10, 20, 30, 40])
        let ir = { (op: String) in """
            graph @g(%a: tensor<2x1x3xf32>, %b: tensor<4x1xf32>) -> tensor<2x4x3xf32> {
              %y = \(op)(%a, %b) : tensor<2x4x3xf32>
              return %y
            }
            """ }
        var sums: [Double] = [], products: [Double] = []
        for i in 0..<2 { for j in 0..<4 { for k in 0..<3 {
            let x = Double(a.floats[i * 3 + k]), y = Double(b.floats[j])
            sums.append(x + y)
            products.append(x * y)
        } } }
        let sum = try Self.run(ir("add"), ["a": a, "b": b])
        #expect(sum.shape == [2, 4, 3])
        Self.expectClose(sum.floats, sums)
        Self.expectClose(try Self.run(ir("mul"), ["a": a, "b": b]).floats, products)

        let ints = try Self.run("""
            graph @g(%a: tensor<2x3xi32>, %b: tensor<3xi32>) -> tensor<2x3xi32> {
              %y = mul(%a, %b) : tensor<2x3xi32>
              return %y
            }
            """, ["a": HostTensor(shape: [2, 3], ints: [1, 2, 3, 4, 5, 6]), "b": HostTensor(shape: [3], ints: [0, 1, -2])])
        #expect(ints == HostTensor(shape: [2, 3], ints: [0, 2, -6, 0, 5, -12]))
    }

    @Test("scale and mask_rows")
    func scaleAndMask() throws {
        let x = Self.random(2 * 3 * 4, seed: 1)
        let y = try Self.run("""
            graph @g(%x: tensor<BxTx4xf32>, %m: tensor<BxTxi32>) -> tensor<BxTx4xf32> {
              %s = scale(%x) {factor = 0.25} : tensor<BxTx4xf32>
              %y = mask_rows(%s, %m) : tensor<BxTx4xf32>
              return %y
            }
            """, ["x": HostTensor(shape: [2, 3, 4], floats: x), "m": HostTensor(shape: [2, 3], ints: [1, 1, 0, 1, 0, 0])])
        let mask: [Double] = [1, 1, 0, 1, 0, 0]
        Self.expectClose(y.floats, x.enumerated().map { Double($1) * 0.25 * mask[$0 / 4] })
    }

    // MARK: - Contractions and normalisation

    @Test("linear is x · weightᵀ + bias, with and without bias", arguments: [true, false])
    func linear(bias: Bool) throws {
        let (m, k, n) = (5, 7, 3)
        let x = Self.random(m * k, seed: 2), w = Self.random(n * k, seed: 3), b = Self.random(n, seed: 4)
        let y = try Self.run("""
            graph @g(%x: tensor<Tx\(k)xf32>) -> tensor<Tx\(n)xf32> {
              %w = constant @w : tensor<\(n)x\(k)xf32>
              %b = constant @b : tensor<\(n)xf32>
              %y = linear(%x, %w\(bias ? ", %b" : "")) : tensor<Tx\(n)xf32>
              return %y
            }
            """, ["x": HostTensor(shape: [m, k], floats: x)],
            constants: ["w": HostTensor(shape: [n, k], floats: w), "b": HostTensor(shape: [n], floats: b)])
        var expected: [Double] = []
        for i in 0..<m {
            for o in 0..<n {
                var sum = bias ? Double(b[o]) : 0
                for c in 0..<k { sum += Double(x[i * k + c]) * Double(w[o * k + c]) }
                expected.append(sum)
            }
        }
        Self.expectClose(y.floats, expected, tolerance: 1e-5)
    }

    @Test("conv1d is torch's grouped cross-correlation with zero padding", arguments: [(1, 1), (2, 2), (4, 0)])
    func conv1d(groups: Int, padding: Int) throws {
        let (batch, length, channels, kernel) = (2, 6, 8, 2 * padding + 1)
        let perGroup = channels / groups
        let x = Self.random(batch * length * channels, seed: 5)
        let w = Self.random(channels * perGroup * kernel, seed: 6), b = Self.random(channels, seed: 7)
        let y = try Self.run("""
            graph @g(%x: tensor<BxTx\(channels)xf32>) -> tensor<BxTx\(channels)xf32> {
              %w = constant @w : tensor<\(channels)x\(perGroup)x\(kernel)xf32>
              %b = constant @b : tensor<\(channels)xf32>
              %y = conv1d(%x, %w, %b) {groups = \(groups), padding = \(padding)} : tensor<BxTx\(channels)xf32>
              return %y
            }
            """, ["x": HostTensor(shape: [batch, length, channels], floats: x)],
            constants: ["w": HostTensor(shape: [channels, perGroup, kernel], floats: w), "b": HostTensor(shape: [channels], floats: b)])
        var expected: [Double] = []
        for bi in 0..<batch {
            for t in 0..<length {
                for o in 0..<channels {
                    let g = o / (channels / groups)
                    var sum = Double(b[o])
                    for c in 0..<perGroup {
                        for tap in 0..<kernel {
                            let s = t + tap - padding
                            guard s >= 0 && s < length else { continue }
                            sum += Double(w[(o * perGroup + c) * kernel + tap]) * Double(x[(bi * length + s) * channels + g * perGroup + c])
                        }
                    }
                    expected.append(sum)
                }
            }
        }
        Self.expectClose(y.floats, expected, tolerance: 1e-5)
    }

    @Test("layer_norm uses the biased variance with eps inside the root")
    func layerNorm() throws {
        let width = 6
        let x = Self.random(3 * width, seed: 8).map { $0 * 3 + 1 }, gamma = Self.random(width, seed: 9), beta = Self.random(width, seed: 10)
        let y = try Self.run("""
            graph @g(%x: tensor<3x6xf32>) -> tensor<3x6xf32> {
              %g = constant @g : tensor<6xf32>
              %b = constant @b : tensor<6xf32>
              %y = layer_norm(%x, %g, %b) {eps = 0.5} : tensor<3x6xf32>
              return %y
            }
            """, ["x": HostTensor(shape: [3, width], floats: x)],
            constants: ["g": HostTensor(shape: [width], floats: gamma), "b": HostTensor(shape: [width], floats: beta)])
        var expected: [Double] = []
        for row in 0..<3 {
            let values = x[(row * width)..<((row + 1) * width)].map(Double.init)
            let mean = values.reduce(0, +) / Double(width)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            for (c, v) in values.enumerated() {
                expected.append((v - mean) / (variance + 0.5).squareRoot() * Double(gamma[c]) + Double(beta[c]))
            }
        }
        Self.expectClose(y.floats, expected)
    }

    // MARK: - Data movement

    @Test("gather, prefix_rows, slice_rows and first_token")
    func dataMovement() throws {
        let table = HostTensor(shape: [5, 2], floats: [0, 1, 10, 11, 20, 21, 30, 31, 40, 41])
        let ir = """
            graph @g(%ids: tensor<BxTxi32>) -> (tensor<BxTx2xf32>, tensor<Tx2xf32>, tensor<2x2xf32>, tensor<Bx2xf32>) {
              %t = constant @t : tensor<5x2xf32>
              %e = gather(%t, %ids) : tensor<BxTx2xf32>
              %p = prefix_rows(%t) : tensor<Tx2xf32>
              %s = slice_rows(%t) {count = 2, start = 3} : tensor<2x2xf32>
              %f = first_token(%e) : tensor<Bx2xf32>
              return %e, %p, %s, %f
            }
            """
        let outputs = try Interpreter(graph: try Graph.parse(ir), constants: ConstantTable(["t": table]))
            .run(inputs: ["ids": HostTensor(shape: [2, 3], ints: [4, 0, 2, 1, 1, 3])])
        #expect(outputs[0] == HostTensor(shape: [2, 3, 2], floats: [40, 41, 0, 1, 20, 21, 10, 11, 10, 11, 30, 31]))
        #expect(outputs[1] == HostTensor(shape: [3, 2], floats: [0, 1, 10, 11, 20, 21]))
        #expect(outputs[2] == HostTensor(shape: [2, 2], floats: [30, 31, 40, 41]))
        #expect(outputs[3] == HostTensor(shape: [2, 2], floats: [40, 41, 10, 11]))
    }

    @Test("head_rows picks one block of every head's rows")
    func headRows() throws {
        // 2 heads × 3 parts × d = 2 rows of width 1: rows 0..11 hold q0 q0 k0 k0 v0 v0 q1 q1 k1 k1 v1 v1.
        let table = HostTensor(shape: [12, 1], floats: (0..<12).map(Float.init))
        let ir = """
            graph @g() -> (tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x1xf32>) {
              %t = constant @t : tensor<12x1xf32>
              %q = head_rows(%t) {heads = 2, part = 0, parts = 3} : tensor<4x1xf32>
              %k = head_rows(%t) {heads = 2, part = 1, parts = 3} : tensor<4x1xf32>
              %v = head_rows(%t) {heads = 2, part = 2, parts = 3} : tensor<4x1xf32>
              return %q, %k, %v
            }
            """
        let outputs = try Interpreter(graph: try Graph.parse(ir), constants: ConstantTable(["t": table])).run(inputs: [:])
        #expect(outputs[0] == HostTensor(shape: [4, 1], floats: [0, 1, 6, 7]))
        #expect(outputs[1] == HostTensor(shape: [4, 1], floats: [2, 3, 8, 9]))
        #expect(outputs[2] == HostTensor(shape: [4, 1], floats: [4, 5, 10, 11]))
        // A row count that does not split into heads · parts blocks is a type error.
        #expect(throws: (any Error).self) {
            try Graph.parse("""
                graph @g() -> (tensor<3x1xf32>) {
                  %t = constant @t : tensor<10x1xf32>
                  %q = head_rows(%t) {heads = 2, part = 0, parts = 3} : tensor<3x1xf32>
                  return %q
                }
                """).verify()
        }
    }

    @Test("mix_heads is a bias-free Linear over the head axis")
    func mixHeads() throws {
        let (batch, heads, length) = (2, 3, 4)
        let s = Self.random(batch * heads * length * length, seed: 31), w = Self.random(heads * heads, seed: 32)
        let ir = """
            graph @g(%s: tensor<Bx3xTxTxf32>) -> (tensor<Bx3xTxTxf32>) {
              %w = constant @w : tensor<3x3xf32>
              %m = mix_heads(%s, %w) : tensor<Bx3xTxTxf32>
              return %m
            }
            """
        let outputs = try Interpreter(graph: try Graph.parse(ir), constants: ConstantTable(["w": HostTensor(shape: [3, 3], floats: w)]))
            .run(inputs: ["s": HostTensor(shape: [batch, heads, length, length], floats: s)])
        var expected = [Double](repeating: 0, count: s.count)
        let plane = length * length
        for b in 0..<batch { for g in 0..<heads { for e in 0..<plane {
            var sum = 0.0
            for h in 0..<heads { sum += Double(w[g * heads + h]) * Double(s[(b * heads + h) * plane + e]) }
            expected[(b * heads + g) * plane + e] = sum
        } } }
        Self.expectClose(outputs[0].floats, expected)
    }

    // MARK: - Attention

    @Test("attention ops against their index formulas")
    func attention() throws {
        let (batch, length, heads, d, rows) = (2, 5, 2, 3, 4)
        let width = heads * d
        let q = Self.random(batch * length * width, seed: 11), k = Self.random(batch * length * width, seed: 12)
        let v = Self.random(batch * length * width, seed: 13)
        let pk = Self.random(rows * width, seed: 14), pq = Self.random(rows * width, seed: 15)
        // rel_pos_index with buckets 0, span 2 on T = 5: clamp(i − j + 2, 0, 3).
        let idx = (0..<length).flatMap { i in (0..<length).map { j in min(max(i - j + 2, 0), 3) } }
        let mask: [Int32] = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
        let ir = """
            graph @g(%q: tensor<BxTx6xf32>, %k: tensor<BxTx6xf32>, %v: tensor<BxTx6xf32>, %m: tensor<BxTxi32>) -> (tensor<Bx2xTxTxf32>, tensor<Bx2xTxTxf32>, tensor<Bx2xTxTxf32>, tensor<Bx2xTxTxf32>, tensor<BxTx6xf32>) {
              %pk = constant @pk : tensor<4x6xf32>
              %pq = constant @pq : tensor<4x6xf32>
              %idx = rel_pos_index() {buckets = 0, max_position = 2, span = 2} : tensor<TxTxi32>
              %c2c = attention_scores(%q, %k) {heads = 2} : tensor<Bx2xTxTxf32>
              %c2p = c2p_scores(%q, %pk, %idx) {heads = 2} : tensor<Bx2xTxTxf32>
              %p2c = p2c_scores(%k, %pq, %idx) {heads = 2} : tensor<Bx2xTxTxf32>
              %p = masked_softmax(%c2c, %m) : tensor<Bx2xTxTxf32>
              %c = attention_context(%p, %v) {heads = 2} : tensor<BxTx6xf32>
              return %c2c, %c2p, %p2c, %p, %c
            }
            """
        let outputs = try Interpreter(graph: try Graph.parse(ir), constants: ConstantTable([
            "pk": HostTensor(shape: [rows, width], floats: pk), "pq": HostTensor(shape: [rows, width], floats: pq),
        ])).run(inputs: [
            "q": HostTensor(shape: [batch, length, width], floats: q), "k": HostTensor(shape: [batch, length, width], floats: k),
            "v": HostTensor(shape: [batch, length, width], floats: v), "m": HostTensor(shape: [batch, length], ints: mask),
        ])
        func dot(_ a: [Float], _ aRow: Int, _ b: [Float], _ bRow: Int, _ h: Int) -> Double {
            (0..<d).reduce(0.0) { $0 + Double(a[aRow * width + h * d + $1]) * Double(b[bRow * width + h * d + $1]) }
        }
        var c2c: [Double] = [], c2p: [Double] = [], p2c: [Double] = [], probs: [Double] = []
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<length {
                    var row: [Double] = []
                    for j in 0..<length {
                        c2c.append(dot(q, b * length + i, k, b * length + j, h))
                        c2p.append(dot(q, b * length + i, pk, idx[i * length + j], h))
                        p2c.append(dot(k, b * length + j, pq, idx[i * length + j], h))
                        let kept = mask[b * length + i] * mask[b * length + j] == 1
                        row.append(kept ? c2c.last! : -Double(Float.greatestFiniteMagnitude))
                    }
                    let top = row.max()!
                    let exps = row.map { exp($0 - top) }
                    probs += exps.map { $0 / exps.reduce(0, +) }
                }
            }
        }
        var context: [Double] = []
        for b in 0..<batch {
            for i in 0..<length {
                for h in 0..<heads {
                    for e in 0..<d {
                        context.append((0..<length).reduce(0.0) {
                            $0 + probs[((b * heads + h) * length + i) * length + $1] * Double(v[(b * length + $1) * width + h * d + e])
                        })
                    }
                }
            }
        }
        Self.expectClose(outputs[0].floats, c2c, tolerance: 1e-5)
        Self.expectClose(outputs[1].floats, c2p, tolerance: 1e-5)
        Self.expectClose(outputs[2].floats, p2c, tolerance: 1e-5)
        Self.expectClose(outputs[3].floats, probs, tolerance: 1e-5)
        Self.expectClose(outputs[4].floats, context, tolerance: 1e-5)
        // Padded query rows (batch 1, i = 3, 4) are fully masked: uniform.
        let padded = Array(outputs[3].floats[(((1 * heads) * length + 4) * length)..<(((1 * heads) * length + 5) * length)])
        #expect(padded == [Float](repeating: 0.2, count: 5))
    }

    /// The ops the hand-written graphs of this suite use.
    static let coveredHere: Set<OpKind> = Set(activationReferences.map(\.0)).union([
        .constant, .add, .mul, .scale, .maskRows, .linear, .conv1d, .layerNorm, .gather, .prefixRows, .sliceRows,
        .headRows, .mixHeads, .firstToken, .relPosIndex, .attentionScores, .c2pScores, .p2cScores, .maskedSoftmax, .attentionContext,
    ]).union(FusedOpSemanticsTests.covered)  // ops created by passes: FusedOpSemanticsTests.swift

    @Test("every op in the op table has a semantics test here")
    func everyOpCovered() {
        #expect(Set(OpKind.allCases).subtracting(Self.coveredHere).isEmpty,
                "untested ops: \(Set(OpKind.allCases).subtracting(Self.coveredHere).map(\.rawValue).sorted())")
    }
}
