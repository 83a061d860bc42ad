@testable import DebertacBackend
import DebertacRuntime
import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import Foundation
import Testing

/// Kernels against the interpreter on small hand-written graphs, and op coverage.
@Suite struct KernelTests {
    @Test("every op of the op table has a kernel or a placement")
    func opCoverage() {
        let missing = OpKind.allCases.filter { !ModuleEmitter.supportedOps.contains($0) }
        #expect(missing.isEmpty, "no kernel for \(missing)")
    }

    /// Compiles `ir` (its constants from `constants`) and runs it on `ids` (all unmasked).
    func run(_ ir: String, constants: [String: HostTensor], ids: [[Int32]], labels: Int, name: String,
             vocabulary: Int = 4, target: TargetSelection = TargetSelection()) throws -> ([[Float]], HostTensor) {
        let (got, want, _) = try runReporting(ir, constants: constants, ids: ids, labels: labels, name: name,
                                              vocabulary: vocabulary, target: target)
        return (got, want)
    }

    /// `run`, also returning the compile report.
    func runReporting(_ ir: String, constants: [String: HostTensor], ids: [[Int32]], labels: Int, name: String,
                      vocabulary: Int = 4, target: TargetSelection = TargetSelection()) throws -> ([[Float]], HostTensor, CompileReport) {
        let graph = try Graph.parse(ir)
        var config = DebertaConfig()
        config.vocabSize = vocabulary
        config.maxPositionEmbeddings = 8
        config.labels = (0..<labels).map { "L\($0)" }
        let output = BackendFixtures.scratch + "/kernel-\(name).so"
        var options = BackendOptions()
        options.compilerVersion = "test"
        options.target = target
        let report = try Backend.compile(graph: graph, constants: ConstantTable(constants), config: config, output: output, options: options)
        let model = try CompiledModel(path: output)
        let got = try model.makeSession(maxBatch: ids.count, maxLength: ids[0].count).classify(ids: ids).map(\.logits)
        let input = InferenceInput(inputIds: ids)
        let want = try Interpreter(graph: graph, constants: ConstantTable(constants)).run(input)[0]
        return (got, want, report)
    }

    @Test("vectorised activations match libm", arguments: OpKind.activations)
    func activation(kind: OpKind) throws {
        let n = 4096
        // x from −12 to 12, plus the edges of the approximations' ranges.
        var xs = (0..<(n - 8)).map { Float(-12 + 24 * Double($0) / Double(n - 9)) }
        xs += [0, -0, 1e-5, -3e-4, 4.0, -4.0, 7.9, 88]
        let ir = """
            graph @t(%input_ids: tensor<BxTxi32>, %attention_mask: tensor<BxTxi32>) -> tensor<Bx\(n)xf32> {
              %table = constant @table : tensor<4x\(n)xf32>
              %e = gather(%table, %input_ids) : tensor<BxTx\(n)xf32>
              %a = \(kind.rawValue)(%e) : tensor<BxTx\(n)xf32>
              %logits = first_token(%a) : tensor<Bx\(n)xf32>
              return %logits
            }
            """
        let table = HostTensor(shape: [4, n], floats: xs + xs.map { $0 / 2 } + xs.map { $0 * 3 } + xs.map { -$0 })
        let (got, want) = try run(ir, constants: ["table": table], ids: [[0, 1], [1, 0], [2, 3], [3, 2]], labels: n, name: kind.rawValue)
        var worst: Float = 0
        for (a, b) in zip(got.joined(), want.floats) {
            worst = max(worst, abs(a - b) / (1 + abs(b)))
        }
        #expect(worst <= 1e-6, "\(kind): max error \(worst)")
    }

    @Test("masked softmax, broadcasting add and scale match the interpreter")
    func softmaxAndBroadcast() throws {
        // Scores [B, 1, T, T] from an outer sum of gathered rows, then scale, mask, softmax.
        let ir = """
            graph @t(%input_ids: tensor<BxTxi32>, %attention_mask: tensor<BxTxi32>) -> tensor<Bx4xf32> {
              %table = constant @table : tensor<4x4xf32>
              %bias = constant @bias : tensor<4xf32>
              %e = gather(%table, %input_ids) : tensor<BxTx4xf32>
              %b = add(%e, %bias) : tensor<BxTx4xf32>
              %s = attention_scores(%b, %b) {heads = 1} : tensor<Bx1xTxTxf32>
              %z = scale(%s) {factor = 0.5} : tensor<Bx1xTxTxf32>
              %p = masked_softmax(%z, %attention_mask) : tensor<Bx1xTxTxf32>
              %c = attention_context(%p, %b) {heads = 1} : tensor<BxTx4xf32>
              %logits = first_token(%c) : tensor<Bx4xf32>
              return %logits
            }
            """
        let table = HostTensor(shape: [4, 4], floats: (0..<16).map { Float($0) * 0.37 - 2 })
        let bias = HostTensor(shape: [4], floats: [0.5, -1, 2, 0.25])
        let (got, want) = try run(ir, constants: ["table": table, "bias": bias], ids: [[0, 1, 2, 3], [3, 3, 1, 0]], labels: 4, name: "softmax")
        for (a, b) in zip(got.joined(), want.floats) { #expect(abs(a - b) <= 1e-5 * (1 + abs(b))) }
    }

    @Test("the vector registers are read off the target", arguments: [("x86-64", 4, 16), ("x86-64-v3", 8, 16), ("skylake-avx512", 16, 32)])
    func vectorRegisters(cpu: String, lanes: Int, count: Int) throws {
        let machine = try TargetMachine(TargetSelection(cpu: cpu))
        #expect(machine.vectorRegisters == (lanes, count))
    }

    /// Targets whose register blocks differ: 12 × 32 (AVX-512 hosts), 6 × 16 (AVX2), 6 × 8 (SSE).
    static let blockTargets = [TargetSelection(), TargetSelection(cpu: "x86-64-v3"), TargetSelection(cpu: "x86-64")]

    @Test("packed linear matches the interpreter on ragged shapes, for every register block", arguments: blockTargets)
    func packedLinear(target: TargetSelection) throws {
        _ = try packedLinear(target: target, weights: { $0 }, label: "f32")
    }

    /// Values that fp16 holds exactly, and values that bf16 does.
    static func halves(_ values: [Float]) -> [Float] { values.map { Float(Float16($0)) } }
    static func brainFloats(_ values: [Float]) -> [Float] { values.map { Float(bitPattern: $0.bitPattern & 0xFFFF_0000) } }

    @Test("linear weights that fp16 or bf16 holds exactly are stored in 2 bytes, with the same results",
          arguments: [(TargetSelection(), "f16"), (TargetSelection(cpu: "x86-64-v3"), "f16"), (TargetSelection(), "bf16"),
                      (TargetSelection(cpu: "x86-64"), "bf16"), (TargetSelection(cpu: "x86-64"), "f16 without F16C")])
    func narrowWeights(target: TargetSelection, storage: String) throws {
        let bf16 = storage == "bf16"
        let narrow: ([Float]) -> [Float] = { values in bf16 ? Self.brainFloats(values) : Self.halves(values) }
        let full = try packedLinear(target: target, weights: { $0 }, label: "full-\(storage)")
        let packed = try packedLinear(target: target, weights: narrow, label: storage)
        // The two linear weights: 200 × 2100 and 37 × 200, padded to whole panels of 32 at most.
        let halved = (224 * 2100 + 64 * 200) * 2
        if storage == "f16 without F16C" {
            #expect(try !TargetMachine(target).convertsHalves)
            #expect(packed.weightsBytes == full.weightsBytes)
        } else {
            #expect(packed.weightsBytes <= full.weightsBytes - (200 * 2100 + 37 * 200) * 2)
            #expect(packed.weightsBytes >= full.weightsBytes - halved)
        }
    }

    /// Compiles two `linear`s over ragged shapes with weights `weights(values)` and checks them
    /// against the interpreter; returns the compile report.
    func packedLinear(target: TargetSelection, weights: ([Float]) -> [Float], label: String) throws -> CompileReport {
        // 301 rows (two row tiles and a partial register block), K = 2100 (reduced in passes,
        // the last one partial), N = 200 (a full 192-column tile and a partial panel), then
        // K = 200 in one pass and N = 37, with an activation.
        let (rows, k, n, m) = (301, 2100, 200, 37)
        let ir = """
            graph @t(%input_ids: tensor<BxTxi32>, %attention_mask: tensor<BxTxi32>) -> tensor<Bx\(m)xf32> {
              %table = constant @table : tensor<\(rows)x\(k)xf32>
              %w1 = constant @w1 : tensor<\(n)x\(k)xf32>
              %b1 = constant @b1 : tensor<\(n)xf32>
              %w2 = constant @w2 : tensor<\(m)x\(n)xf32>
              %e = gather(%table, %input_ids) : tensor<BxTx\(k)xf32>
              %h = linear(%e, %w1, %b1) : tensor<BxTx\(n)xf32>
              %y = linear_act(%h, %w2) {activation = "gelu"} : tensor<BxTx\(m)xf32>
              %logits = first_token(%y) : tensor<Bx\(m)xf32>
              return %logits
            }
            """
        func values(_ count: Int, _ seed: Int) -> [Float] { (0..<count).map { Float(sin(Double($0 * 7 + seed) * 0.37)) * 0.05 } }
        let constants = ["table": HostTensor(shape: [rows, k], floats: values(rows * k, 1)),
                         "w1": HostTensor(shape: [n, k], floats: weights(values(n * k, 2))),
                         "b1": HostTensor(shape: [n], floats: values(n, 3)),
                         "w2": HostTensor(shape: [m, n], floats: weights(values(m * n, 4)))]
        let ids = (0..<rows).map { [Int32($0)] }
        let (got, want, report) = try runReporting(ir, constants: constants, ids: ids, labels: m, name: "packed-\(target.cpu ?? "host")-\(label)".replacingOccurrences(of: " ", with: "-"),
                                                   vocabulary: rows, target: target)
        var worst: Float = 0
        for (a, b) in zip(got.joined(), want.floats) { worst = max(worst, abs(a - b) / (1 + abs(b))) }
        #expect(got.joined().count == want.floats.count)
        #expect(worst <= 1e-5, "max error \(worst)")
        return report
    }
}
