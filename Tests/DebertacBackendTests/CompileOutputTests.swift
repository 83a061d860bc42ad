@testable import DebertacBackend
import DebertacRuntime
import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import Foundation
import Testing

/// What `Backend.compile` writes: each emit kind, the exported symbols, the header beside the
/// .so, the info JSON, another target CPU, and nothing at all when a compile fails.
@Suite struct CompileOutputTests {
    static let fixture = "models/xxlarge-toy"

    func directory(_ name: String) throws -> String { try BackendFixtures.freshDirectory("output-" + name) }

    func compile(_ output: String, _ configure: (inout BackendOptions) -> Void = { _ in }) throws -> CompileReport {
        var options = BackendOptions()
        configure(&options)
        return try Backend.compile(checkpoint: try Checkpoint.load(path: BackendFixtures.checkpoint(Self.fixture)),
                                   output: output, options: options)
    }

    @Test("--emit=llvm, asm and obj write the kernel module")
    func emitKinds() throws {
        let dir = try directory("emit")
        _ = try compile(dir + "/nli.ll") { $0.emit = .llvm }
        let ir = try String(contentsOfFile: dir + "/nli.ll", encoding: .utf8)
        #expect(ir.contains("define hidden") && ir.contains("i32 @debertac__forward(ptr noalias"))
        #expect(ir.contains("@cblas_sgemm"))
        #expect(!ir.contains("@expf") && !ir.contains("@erff"), "no libm calls on the hot path")
        _ = try compile(dir + "/nli.s") { $0.emit = .asm }
        #expect(try String(contentsOfFile: dir + "/nli.s", encoding: .utf8).contains("debertac__forward:"))
        _ = try compile(dir + "/nli.o") { $0.emit = .obj }
        let object = try Data(contentsOf: URL(fileURLWithPath: dir + "/nli.o"))
        #expect(object.prefix(4) == Data([0x7f, 0x45, 0x4c, 0x46]))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(files == ["nli.ll", "nli.o", "nli.s"], "no temporaries left behind")
    }

    @Test("the .so exports only debertac_* and the header is written beside it")
    func exportsAndHeader() async throws {
        let path = try await CompiledArtifacts.shared.library(Self.fixture, .embedded)
        let symbols = try Tools.check(["nm", "-D", "--defined-only", path]).split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) ?? "" }
        #expect(Set(symbols) == [
            "debertac_abi_version", "debertac_status_string", "debertac_open_error", "debertac_model_open",
            "debertac_model_close", "debertac_model_num_labels", "debertac_model_label", "debertac_model_max_sequence_length",
            "debertac_model_vocab_size", "debertac_model_info", "debertac_session_create", "debertac_session_destroy",
            "debertac_session_last_error", "debertac_classify",
            // ABI version 2: the text calls (exported by every .so; they refuse when it has no tokenizer).
            "debertac_model_has_tokenizer", "debertac_tokenize", "debertac_classify_text", "debertac_zero_shot",
        ])
        let header = try String(contentsOfFile: (path as NSString).deletingLastPathComponent + "/debertac.h", encoding: .utf8)
        let repositoryHeader = try String(contentsOfFile: BackendFixtures.repository + "/include/debertac.h", encoding: .utf8)
        #expect(header == repositoryHeader)
        // The weights are not linked in: they are the non-allocated section .debertac_weights
        // (WeightsSectionTests), never loaded by ld.so, so no loadable section carries them.
        let sections = try Tools.check(["readelf", "-SW", path])
        #expect(!sections.contains(".lrodata"))
        #expect(sections.contains(".debertac_weights"))
    }

    @Test("model info is JSON with config, precision, target, compiler and digest")
    func info() async throws {
        let model = try CompiledModel(path: try await CompiledArtifacts.shared.library(Self.fixture, .external))
        let json = try JSONParser.parse(Array(model.info.utf8))
        #expect(json["config"]?["hidden_size"]?.intValue == 32)
        #expect(json["precision"]?.stringValue == "fp32")
        #expect(json["target"]?["cpu"]?.stringValue?.isEmpty == false)
        #expect(json["compiler"]?.stringValue == "debertac test")
        #expect(json["weights"]?["digest"]?.stringValue?.hasPrefix("xxh64:") == true)
        #expect(json["weights"]?["external"]?.boolValue == true)
    }

    @Test("a portable x86-64-v3 build matches the host build")
    func portableTarget() async throws {
        let dir = try directory("portable")
        _ = try compile(dir + "/nli.so") { $0.target = TargetSelection(cpu: "x86-64-v3") }
        let portable = try CompiledModel(path: dir + "/nli.so")
        #expect(portable.info.contains("\"cpu\": \"x86-64-v3\""))
        let host = try CompiledModel(path: try await CompiledArtifacts.shared.library(Self.fixture, .embedded))
        let batch = try Golden.load(Self.fixture).batches[1]
        let a = try portable.makeSession(maxBatch: 3, maxLength: 24).classify(ids: batch.inputIds, mask: batch.attentionMask).map(\.logits)
        let b = try host.makeSession(maxBatch: 3, maxLength: 24).classify(ids: batch.inputIds, mask: batch.attentionMask).map(\.logits)
        for (x, y) in zip(a.joined(), b.joined()) { #expect(abs(x - y) <= 1e-5 * (1 + abs(y))) }
    }

    @Test("progress lines name the stages and the weights written")
    func progress() throws {
        let dir = try directory("progress")
        let lines = Lines()
        _ = try compile(dir + "/nli.so") { options in options.progress = { lines.append($0) } }
        let all = lines.all
        #expect(all.contains("linking"))
        // The last weights line reports all bytes written: "writing weights: X of X".
        let last = all.last { $0.hasPrefix("writing weights: ") }?.dropFirst("writing weights: ".count).components(separatedBy: " of ")
        #expect(last?.count == 2 && last?[0] == last?[1], "\(all)")
    }

    @Test("a failed compile leaves no output behind")
    func failureLeavesNothing() throws {
        let dir = try directory("failure")
        let checkpoint = try Checkpoint.load(path: BackendFixtures.checkpoint(Self.fixture))
        let graph = try DebertaGraphBuilder.build(checkpoint: checkpoint)
        // The word embeddings are only gathered: nothing reads them before the payload is written
        // (linear weights are, to choose their storage precision while the code is generated).
        let constants = FailingConstants(base: CheckpointConstants(checkpoint: checkpoint),
                                         failing: "deberta.embeddings.word_embeddings.weight")
        for external in [false, true] {
            var options = BackendOptions()
            options.externalWeights = external
            let stages = Lines()
            options.progress = { stages.append($0) }
            // Fails while writing the weights, after the object was emitted.
            #expect(throws: BackendError.self) {
                try Backend.compile(graph: graph, constants: constants, config: checkpoint.config,
                                    output: dir + "/nli.so", options: options)
            }
            #expect(stages.all.contains("emitting object"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    /// Checkpoint tensors, except that `failing` cannot be read.
    struct FailingConstants: ConstantProvider {
        let base: any ConstantProvider
        let failing: String
        func constant(named name: String) throws -> HostTensor {
            if name == failing { throw BackendError.io(path: name, message: "unreadable on purpose") }
            return try base.constant(named: name)
        }
    }

    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
    }
}
