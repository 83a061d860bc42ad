import DebertacFrontend
import DebertacIR
import DebertacInterpreter
import DebertacPasses
#if canImport(Glibc)
import Glibc
#endif

/// What `debertac compile --emit=KIND` writes.
public enum EmitKind: String, CaseIterable, Sendable {
    /// LLVM IR text of the kernels and entry, after the O3 pipeline.
    case llvm
    /// Assembly of the same module.
    case asm
    /// The module as an object file (kernels and entry only; no runtime, no weights).
    case obj
    /// The loadable shared object: kernels, runtime, weights (or a digest of external ones).
    case so
}

/// How to compile: output kind, target, where the weights go.
public struct BackendOptions: Sendable {
    public var emit: EmitKind = .so
    public var target = TargetSelection()
    /// Write the weights to `<output>.weights` instead of embedding them.
    public var externalWeights = false
    /// The compiler version recorded in the model's info JSON.
    public var compilerVersion = "unknown"
    /// The tokenizer blob to link into the .so (`TokenizerModel.serialized()`); nil for an
    /// ids-only model.
    public var tokenizer: [UInt8]? = nil
    /// What `debertac_model_info` says of the tokenizer (its source and size); nil without one.
    public var tokenizerInfo: JSONValue? = nil
    /// The `--precision` the graph's passes ran with, recorded in the model's info JSON (the
    /// kernels follow each `linear`'s `precision` attribute).
    public var precision: ComputePrecision = .fp32
    /// Receives progress lines (stage names, bytes of weights written); nil is quiet.
    public var progress: (@Sendable (String) -> Void)?

    public init() {}
}

/// What a compile produced.
public struct CompileReport: Sendable {
    /// Files written, main output first.
    public var outputs: [String]
    /// Size of the weights payload in bytes.
    public var weightsBytes: Int
    /// XXH64 of the payload (0 when no payload was written).
    public var weightsDigest: UInt64
    /// Number of distinct kernels and of scheduled ops.
    public var kernels: Int
    public var scheduledOps: Int
    /// Arena buffers of the memory plan.
    public var buffers: Int
}

/// The backend: an optimised graph in, a native shared object out.
///
/// The stages, top to bottom:
/// 0. `fold-constants`, so that weights-only ops are constants (a no-op after the pipeline);
/// 1. `ExecutionPlan`: storage of every value (inputs, weights, the memory planner's arena
///    slots, views) and the schedule of kernels;
/// 2. `ModuleEmitter`: one LLVM module with a kernel per scheduled op and `debertac__forward`;
///    kernels register the weights they read in a `WeightsLayout`;
/// 3. `TargetMachine`: LLVM's O3 pipeline for the target CPU, then an object file (PIC);
/// 4. the weights image (`WeightsFileHeader`, then the payload), written once beside the output,
///    streamed tensor by tensor from the mapped checkpoint, with its XXH64 digest;
/// 5. `cc -shared`: the object, the C runtime and the generated descriptor `model.c` linked
///    with OpenBLAS (small: no weights pass through the assembler or the linker);
/// 6. embedded weights: the image appended to the linked .so as the section `.debertac_weights`
///    (`ElfWeightsSection`), copied in the kernel; with `--external-weights` it is renamed to
///    `<output>.weights` instead.
/// Outputs are written under temporary names and renamed at the end: a failed compile leaves
/// nothing behind.
public enum Backend {
    public static func compile(graph: Graph, constants: any ConstantProvider, config: DebertaConfig,
                               output: String, options: BackendOptions) throws(BackendError) -> CompileReport {
        let say = options.progress ?? { _ in }
        // Fail before the long part when the output cannot be written at all.
        guard access(directoryName(output), W_OK) == 0 else {
            throw .io(path: output, message: "the folder '\(directoryName(output))' is not writable: \(errnoText())")
        }
        say("planning memory")
        let store = constants as? ConstantStore ?? ConstantStore(base: constants)
        var graph = graph
        do {                                                                           // 0. weights-only ops → constants
            _ = try FoldConstants().run(on: &graph, context: PassContext(constants: store, maxSequenceLength: config.maxPositionEmbeddings))
        } catch {
            throw .constantUnavailable(name: graph.name, message: "folding weights-only ops failed: \(error)")
        }
        let plan = try ExecutionPlan(graph: graph)                                    // 1. storage and schedule

        say("generating code for \(plan.schedule.count) ops")
        let machine = try TargetMachine(options.target)
        let code = CodeBuilder(moduleName: graph.name)
        let weights = WeightsLayout()
        let emitter = ModuleEmitter(graph: graph, plan: plan, weights: weights, constants: store, code: code,
                                    maxSequenceLength: config.maxPositionEmbeddings, vectorRegisters: machine.vectorRegisters,
                                    halvesAreCheap: machine.convertsHalves,
                                    reducedKernels: Set([ReducedPrecision.bf16, .int8].filter { machine.has($0.requiredFeature) }))
        try emitter.emit()                                                             // 2. kernels + entry
        if let problem = code.verify() { throw .invalidModule(problem) }

        machine.configure(code)                                                        // 3. O3 for the CPU
        say("optimising (O3, cpu \(machine.cpu))")
        try machine.optimize(code)

        var report = CompileReport(outputs: [output], weightsBytes: weights.size, weightsDigest: 0,
                                   kernels: emitter.kernelCount, scheduledOps: plan.schedule.count, buffers: plan.buffers.count)
        let temporary = output + ".tmp.\(getpid())"
        switch options.emit {
        case .llvm, .asm, .obj:
            do throws(BackendError) {
                switch options.emit {
                case .llvm: try writeFile(temporary, code.text)
                case .asm: try machine.emit(code, to: temporary, .assembly)
                default: try machine.emit(code, to: temporary, .object)
                }
                try moveFile(temporary, output)
            } catch {
                removeFile(temporary)
                throw error
            }
            return report
        case .so:
            break
        }

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let weightsOutput = output + ".weights"
        // The weights image (header + payload) is written beside the output in both modes: it
        // becomes `<output>.weights` with --external-weights, else the .so's weights section.
        let weightsTemporary = weightsOutput + ".tmp.\(getpid())"
        do throws(BackendError) {
            let objectPath = directory.file("kernels.o")
            say("emitting object")
            try machine.emit(code, to: objectPath, .object)

            let digest = try writeWeights(weights, constants: store, to: weightsTemporary, say: say)   // 4. payload
            report.weightsDigest = digest

            say("linking")                                                              // 5. cc -shared
            let info = modelInfo(config: config, machine: machine, options: options, weights: weights, digest: digest)
            let tokenizerSize = options.tokenizer?.count ?? 0
            let descriptor = ModelDescriptor(config: config, plan: plan, weightsSize: weights.size, digest: digest,
                                             embedded: !options.externalWeights, info: info, workspace: emitter.workspace,
                                             tokenizerSize: tokenizerSize, targetCPU: machine.cpu,
                                             requiredFeatures: machine.enabledFeatures)
            try writeFile(directory.file("model.c"), descriptor.source)
            for (name, bytes) in runtimeSources { try writeFile(directory.file(name), bytes: bytes) }
            try writeFile(directory.file("exports.map"), ModelDescriptor.exports)
            var inputs = runtimeSources.map(\.name).filter { $0.hasSuffix(".c") }.map(directory.file)
                + [directory.file("model.c"), objectPath]
            if let blob = options.tokenizer, !blob.isEmpty {
                try writeFile(directory.file("tokenizer.bin"), bytes: blob)
                try writeFile(directory.file("tokenizer.s"),
                              ModelDescriptor.tokenizerAssembly(blobPath: directory.file("tokenizer.bin"), size: blob.count))
                inputs.append(directory.file("tokenizer.s"))
            }
            let linked = options.externalWeights ? temporary : directory.file("code.so")
            try Toolchain.run([Toolchain.compiler, "-shared", "-std=gnu11", "-O2", "-fPIC", "-fvisibility=hidden",
                               "-DDEBERTAC_RUNTIME_BUILD",
                               "-I", directory.path] + Toolchain.openBLAS.cflags + inputs
                              + ["-o", linked, "-Wl,--version-script=" + directory.file("exports.map"),
                                 "-Wl,-z,noexecstack", "-Wl,--no-undefined"]
                              + Toolchain.openBLAS.libs + ["-lm", "-lpthread", "-ldl"])
            if !options.externalWeights {                                               // 6. the weights section
                say("embedding weights: \(byteText(weights.size)) as section \(ElfWeightsSection.name)")
                try ElfWeightsSection.append(image: weightsTemporary, to: linked, output: temporary)
                removeFile(weightsTemporary)
            }

            // Outputs: the header beside the .so, the weights, then the .so itself.
            let headerPath = directoryName(output) + "/debertac.h"
            // Unique per compile: two compiles in one process may write into the same folder.
            let headerTemporary = headerPath + ".tmp.\(getpid()).\(UInt32.random(in: 0 ... .max))"
            try writeFile(headerTemporary, bytes: PackageResources.debertac_h)
            try moveFile(headerTemporary, headerPath)
            if options.externalWeights {
                try moveFile(weightsTemporary, weightsOutput)
                report.outputs.append(weightsOutput)
            }
            do throws(BackendError) {
                try moveFile(temporary, output)
            } catch {
                if options.externalWeights { removeFile(weightsOutput) }
                throw error
            }
            report.outputs.append(headerPath)
        } catch {
            removeFile(temporary)
            removeFile(weightsTemporary)
            throw error
        }
        return report
    }

    /// The C runtime linked into every .so (Runtime/, embedded into the compiler by SwiftPM).
    static let runtimeSources: [(name: String, bytes: [UInt8])] = [
        ("debertac_runtime.c", PackageResources.debertac_runtime_c),
        ("debertac_pool.c", PackageResources.debertac_pool_c),
        ("debertac_digest.c", PackageResources.debertac_digest_c),
        ("debertac_cpu.c", PackageResources.debertac_cpu_c),
        ("debertac_runtime.h", PackageResources.debertac_runtime_h),
        ("debertac_internal.h", PackageResources.debertac_internal_h),
        ("debertac.h", PackageResources.debertac_h),
        ("debertac_text.c", PackageResources.debertac_text_c),
        ("debertac_tokenizer.h", PackageResources.debertac_tokenizer_h),
        ("tokenizer_internal.h", PackageResources.tokenizer_internal_h),
        ("tokenizer_blob.c", PackageResources.tokenizer_blob_c),
        ("tokenizer_normalize.c", PackageResources.tokenizer_normalize_c),
        ("tokenizer_unigram.c", PackageResources.tokenizer_unigram_c),
        ("tokenizer_text.c", PackageResources.tokenizer_text_c),
        ("tokenizer_encode.c", PackageResources.tokenizer_encode_c),
        ("tokenizer_hf_text.c", PackageResources.tokenizer_hf_text_c),
        ("tokenizer_hf_normalize.c", PackageResources.tokenizer_hf_normalize_c),
        ("tokenizer_graphemes.c", PackageResources.tokenizer_graphemes_c),
        ("tokenizer_grapheme_table.c", PackageResources.tokenizer_grapheme_table_c),
        ("tokenizer_byte_level.c", PackageResources.tokenizer_byte_level_c),
        ("tokenizer_byte_level_table.c", PackageResources.tokenizer_byte_level_table_c),
    ]

    /// Writes the weights image (the header, zeros up to its payload offset, the payload) and
    /// returns the payload's digest.
    private static func writeWeights(_ layout: WeightsLayout, constants: any ConstantProvider, to path: String,
                                     say: (String) -> Void) throws(BackendError) -> UInt64 {
        let writer = try BinaryFileWriter(path: path)
        try writer.write([UInt8](repeating: 0, count: WeightsFileHeader.payloadOffset))
        let total = layout.size
        var reported = 0
        say("writing weights: 0 of \(byteText(total))")
        let digest = try layout.write(to: writer, constants: constants) { written in
            if written - reported >= max(total / 20, 1 << 28) || written == total {
                reported = written
                say("writing weights: \(byteText(written)) of \(byteText(total))")
            }
        }
        try writer.close()
        try WeightsFileHeader(payloadSize: total, digest: digest).write(into: path)
        return digest
    }

    /// `{"config": ..., "precision": ..., "target": ..., "compiler": ..., "weights": ...}`.
    private static func modelInfo(config: DebertaConfig, machine: TargetMachine, options: BackendOptions,
                                  weights: WeightsLayout, digest: UInt64) -> String {
        let hex = String(digest, radix: 16)
        let value: JSONValue = .object([
            (key: "config", value: config.jsonValue),
            (key: "precision", value: .string(options.precision.rawValue)),
            (key: "tokenizer", value: options.tokenizerInfo ?? .null),
            (key: "target", value: .object([
                (key: "triple", value: .string(machine.triple)),
                (key: "cpu", value: .string(machine.cpu)),
                (key: "features", value: .string(machine.features)),
            ])),
            (key: "compiler", value: .string("debertac \(options.compilerVersion)")),
            (key: "llvm", value: .string(HostTarget.current.llvmVersion)),
            (key: "weights", value: .object([
                (key: "bytes", value: .int(weights.size)),
                (key: "digest", value: .string("xxh64:" + String(repeating: "0", count: 16 - hex.count) + hex)),
                (key: "external", value: .bool(options.externalWeights)),
            ])),
        ])
        return value.serialized()
    }
}

/// `1.5 GB`, `3.2 MB`, `812 B`.
func byteText(_ bytes: Int) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1000 && unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    if unit == 0 { return "\(bytes) B" }
    let rounded = (value * 10).rounded() / 10
    return "\(rounded) \(units[unit])"
}

extension Backend {
    /// The whole compiler for one checkpoint: builds its graph, runs `passes` (the default
    /// pipeline when nil), and compiles the result to `output`. Throws `GraphBuildError`,
    /// `PassError` or `BackendError`.
    public static func compile(checkpoint: Checkpoint, output: String, options: BackendOptions,
                               passes: [any Pass]? = nil) throws -> CompileReport {
        var graph = try DebertaGraphBuilder.build(checkpoint: checkpoint)
        let store = ConstantStore(base: CheckpointConstants(checkpoint: checkpoint, caching: false))
        let context = PassContext(constants: store, maxSequenceLength: checkpoint.config.maxPositionEmbeddings,
                                  precision: options.precision)
        options.progress?("optimising the graph")
        try PassManager(passes: passes ?? Pipeline.defaultPasses()).run(&graph, context: context)
        return try compile(graph: graph, constants: store, config: checkpoint.config, output: output, options: options)
    }
}
