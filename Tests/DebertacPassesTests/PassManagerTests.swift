import DebertacIR
import DebertacInterpreter
import DebertacPasses
import Foundation
import Testing

/// Pipeline selection, instrumentation (IR printing, dumps, statistics) and errors.
@Suite struct PassManagerTests {
    static let text = """
        // debertac IR
        graph @g(%x: tensor<BxTx8xf32>) -> tensor<BxTx8xf32> {
          %w = constant @w : tensor<8x8xf32>
          %y = linear(%x, %w) : tensor<BxTx8xf32>
          %a = gelu(%y) : tensor<BxTx8xf32>
          %dead = relu(%x) : tensor<BxTx8xf32>
          return %a
        }
        """

    static func context() -> PassContext { PassContext(constants: ConstantStore(base: nil), maxSequenceLength: 16) }

    @Test("the default pipeline, in order")
    func defaultOrder() {
        #expect(Pipeline.defaultPassNames == [
            "fold-attention-scale", "fuse-attention", "merge-qkv", "fuse-linear-epilogue", "fuse-prefix-rows", "fold-constants",
            "fold-masks", "fuse-add-layer-norm", "cse", "dce", "assign-precision",
        ])
        #expect(Set(Pipeline.defaultPassNames).count == Pipeline.defaultPassNames.count)
    }

    @Test("--passes and --disable-pass select passes")
    func selection() throws {
        #expect(try Pipeline.passes(list: ["dce", "cse"]).map(\.name) == ["dce", "cse"])
        #expect(try Pipeline.passes(list: []).isEmpty)
        #expect(try Pipeline.passes(list: nil, disabled: ["dce"]).map(\.name) == Pipeline.defaultPassNames.filter { $0 != "dce" })
        #expect(Pipeline.parseList("a, b,,c") == ["a", "b", "c"])
        #expect(Pipeline.parseList("").isEmpty)
        #expect(throws: PassError.self) { try Pipeline.passes(list: ["fold-everything"]) }
        #expect(throws: PassError.self) { try Pipeline.passes(list: nil, disabled: ["nope"]) }
        do {
            _ = try Pipeline.passes(list: ["nope"])
        } catch {
            #expect(error.description.hasPrefix("unknown pass 'nope', expected one of: fold-attention-scale, "))
        }
    }

    @Test("IR dumps use MLIR's headers and go to the log")
    func printing() throws {
        var log = ""
        var graph = try Graph.parse(Self.text)
        let manager = PassManager(
            passes: try Pipeline.passes(list: ["cse", "fuse-linear-epilogue", "dce"]),
            instrumentation: PassInstrumentation(verifyEach: true, printBefore: ["dce"], printAfter: ["cse"],
                                                 printAfterChange: true, stats: true),
            log: { log += $0 })
        let records = try manager.run(&graph, context: Self.context())
        let headers = log.split(separator: "\n").filter { $0.hasPrefix("// -----//") }
        #expect(headers == [
            "// -----// IR Dump After cse //----- //",
            "// -----// IR Dump After fuse-linear-epilogue //----- //",
            "// -----// IR Dump Before dce //----- //",
            "// -----// IR Dump After dce //----- //",
        ])
        #expect(log.contains("cse: no change\n"))
        #expect(log.contains("fuse-linear-epilogue: 1 activations fused\n"))
        #expect(log.contains("dce: 1 ops removed\n"))
        #expect(records.map(\.changed) == [false, true, true])
    }

    @Test("--print-ir-after-all prints after every pass")
    func afterAll() throws {
        var log = ""
        var graph = try Graph.parse(Self.text)
        let manager = PassManager(passes: try Pipeline.passes(list: ["cse", "dce"]),
                                  instrumentation: PassInstrumentation(printAfterAll: true), log: { log += $0 })
        try manager.run(&graph, context: Self.context())
        #expect(log.components(separatedBy: "// -----// IR Dump After").count == 3)
        #expect(log.contains("// -----// IR Dump After cse //----- //\n// debertac IR\n"))
    }

    @Test("--dump-ir writes one numbered file per stage")
    func dumps() throws {
        let directory = NSTemporaryDirectory() + "debertac-dump-\(getpid())-\(UInt32.random(in: 0...UInt32.max))/nested"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var graph = try Graph.parse(Self.text)
        let manager = PassManager(passes: try Pipeline.passes(list: ["fuse-linear-epilogue", "dce"]),
                                  instrumentation: PassInstrumentation(dumpDirectory: directory))
        try manager.run(&graph, context: Self.context())
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(files == ["00-input.ir", "01-fuse-linear-epilogue.ir", "02-dce.ir"])
        let last = try String(contentsOfFile: directory + "/02-dce.ir", encoding: .utf8)
        #expect(last == graph.printed())
        let first = try String(contentsOfFile: directory + "/00-input.ir", encoding: .utf8)
        #expect(first == (try Graph.parse(Self.text)).printed())
    }

    @Test("--verify-each names the pass that broke the graph")
    func verifyEach() throws {
        var graph = try Graph.parse(Self.text)
        let manager = PassManager(passes: [BreakingPass()], instrumentation: PassInstrumentation(verifyEach: true))
        let error = #expect(throws: PassError.self) { try manager.run(&graph, context: Self.context()) }
        #expect(error?.description.hasPrefix("the graph does not verify after pass 'break-things':") == true)
    }

    @Test("computed constants the graph no longer names are dropped")
    func pruning() throws {
        var graph = try Graph.parse("""
            // debertac IR
            graph @g(%x: tensor<4xf32>) -> tensor<4xf32> {
              %w = constant @w : tensor<4xf32>
              %s = scale(%w) {factor = 2.0} : tensor<4xf32>
              %t = scale(%s) {factor = 3.0} : tensor<4xf32>
              %y = add(%x, %t) : tensor<4xf32>
              return %y
            }
            """)
        let store = ConstantStore(base: ConstantTable(["w": HostTensor(shape: [4], floats: [1, 2, 3, 4])]))
        let context = PassContext(constants: store, maxSequenceLength: 4)
        try PassRunner.run(&graph, passes: [FoldConstants()], context: context)
        #expect(graph.printed().contains("%t = constant @fold.t : tensor<4xf32>"))
        #expect(store.computed.tensors.keys.sorted() == ["fold.t"])
        #expect(try store.constant(named: "fold.t").floats == [6, 12, 18, 24])
    }
}

/// A pass that retypes a value wrongly, for `--verify-each`.
private struct BreakingPass: Pass {
    let name = "break-things"
    let summary = "retypes a value wrongly"
    func run(on graph: inout Graph, context: PassContext) throws -> PassStatistics {
        graph.setType(graph.value(named: "a")!, TensorType([.batch, .seq, .fixed(9)], .f32))
        return PassStatistics()
    }
}
