internal import CLLVM
internal import CLLVMTargetFeatures
#if canImport(Glibc)
import Glibc
#endif

/// The CPU a compiled model is generated for: the host by default, or a named CPU
/// (`x86-64-v3` for a portable AVX2 build) with optional extra features.
public struct TargetSelection: Sendable, Equatable {
    /// LLVM CPU name; nil means the host CPU (`LLVMGetHostCPUName`).
    public var cpu: String?
    /// LLVM feature string such as `+avx2,-avx512f`; nil means the host's features when `cpu`
    /// is nil, and the named CPU's defaults otherwise.
    public var features: String?

    public init(cpu: String? = nil, features: String? = nil) {
        self.cpu = cpu
        self.features = features
    }
}

/// An LLVM target machine for the host's architecture: optimises modules with the O3
/// pipeline and emits objects or assembly, position-independent (for `cc -shared`).
final class TargetMachine {
    let machine: LLVMTargetMachineRef
    let triple: String
    let cpu: String
    let features: String

    /// Registers the native target with LLVM once per process.
    private static let registered: Bool = {
        LLVMInitializeNativeTarget() == 0 && LLVMInitializeNativeAsmPrinter() == 0 && LLVMInitializeNativeAsmParser() == 0
    }()

    init(_ selection: TargetSelection) throws(BackendError) {
        guard Self.registered else { throw .target("LLVM has no native target for this machine") }
        let host = HostTarget.current
        triple = host.triple
        cpu = selection.cpu ?? host.cpuName
        features = selection.features ?? (selection.cpu == nil ? host.features : "")
        var target: LLVMTargetRef?
        var message: UnsafeMutablePointer<CChar>?
        if LLVMGetTargetFromTriple(triple, &target, &message) != 0 {
            throw .target(takeLLVMString(message))
        }
        guard let machine = LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelAggressive,
                                                    LLVMRelocPIC, LLVMCodeModelDefault) else {
            throw .target("LLVM cannot create a target machine for '\(triple)', cpu '\(cpu)'")
        }
        self.machine = machine
        guard let list = debertac_llvm_enabled_features(triple, cpu, features) else {
            throw .target("LLVM cannot list the features of cpu '\(cpu)' for '\(triple)'")
        }
        enabledFeatures = String(cString: list).split(separator: ",").map(String.init)
        free(list)
    }

    /// Every feature LLVM enables for this CPU and feature string, by LLVM's names (`avx2`,
    /// `avx512bf16`, ...): the instructions generated code may use, and so what the CPU that
    /// runs it must have (the runtime checks them at `debertac_model_open`).
    let enabledFeatures: [String]

    /// Whether LLVM may use the instructions of `feature` (an LLVM feature name) on this target.
    func has(_ feature: String) -> Bool { enabledFeatures.contains(feature) }

    deinit { LLVMDisposeTargetMachine(machine) }

    /// Sets the module's triple and data layout, and marks its functions for this CPU.
    func configure(_ code: CodeBuilder) {
        LLVMSetTarget(code.module, triple)
        let layout = LLVMCreateTargetDataLayout(machine)
        LLVMSetModuleDataLayout(code.module, layout)
        LLVMDisposeTargetData(layout)
        var fn = LLVMGetFirstFunction(code.module)
        while let f = fn {
            if LLVMCountBasicBlocks(f) > 0 {
                LLVMAddTargetDependentFunctionAttr(f, "target-cpu", cpu)
                if !features.isEmpty { LLVMAddTargetDependentFunctionAttr(f, "target-features", features) }
            }
            fn = LLVMGetNextFunction(f)
        }
    }

    /// Runs LLVM's `default<O3>` pipeline (loop and SLP vectorisation, unrolling, inlining).
    func optimize(_ code: CodeBuilder) throws(BackendError) {
        let options = LLVMCreatePassBuilderOptions()
        defer { LLVMDisposePassBuilderOptions(options) }
        LLVMPassBuilderOptionsSetLoopVectorization(options, 1)
        LLVMPassBuilderOptionsSetSLPVectorization(options, 1)
        LLVMPassBuilderOptionsSetLoopUnrolling(options, 1)
        LLVMPassBuilderOptionsSetLoopInterleaving(options, 1)
        if let error = LLVMRunPasses(code.module, "default<O3>", machine, options) {
            throw .llvm(takeLLVMError(error))
        }
    }

    /// The widest float vectors this CPU computes in one register, and how many such registers
    /// it has: (16, 32) with AVX-512, (8, 16) with AVX, else (4, 16). Found by compiling a probe
    /// (a `<16 x float>` multiply-add) for this machine and reading which registers the
    /// assembly names, so named CPUs and feature strings need no table of their own.
    lazy var vectorRegisters: (lanes: Int, count: Int) = {
        let text = probe { code, pointer in
            let v = code.loadVector(16, pointer)
            code.storeVector(code.fma(v, v, v, lanes: 16), pointer)
        }
        if text.contains("%zmm") { return (16, 32) }
        if text.contains("%ymm") { return (8, 16) }
        return (4, 16)
    }()

    /// Whether the CPU widens fp16 to fp32 in one instruction (F16C's `vcvtph2ps`), so that
    /// weights stored as fp16 cost no more to read than fp32 ones. Found by the same kind of
    /// probe as `vectorRegisters`.
    lazy var convertsHalves: Bool = {
        probe { code, pointer in
            code.storeVector(code.loadVector(8, pointer, precision: .f16), pointer)
        }.contains("vcvtph2ps")
    }()

    /// The assembly of a one-function module `void probe(ptr)` whose body `body` builds,
    /// generated for this machine ("" if that fails).
    private func probe(_ body: (CodeBuilder, IRValue) -> Void) -> String {
        let code = CodeBuilder(moduleName: "probe")
        let (fn, _) = code.function("probe", [code.ptr], code.void, internal: false)
        code.addStringAttribute("min-legal-vector-width", "512", to: fn)
        code.startBlock(in: fn)
        body(code, code.param(fn, 0))
        code.retVoid()
        configure(code)
        var message: UnsafeMutablePointer<CChar>?
        var buffer: LLVMMemoryBufferRef?
        guard LLVMTargetMachineEmitToMemoryBuffer(machine, code.module, LLVMAssemblyFile, &message, &buffer) == 0,
              let buffer else {
            _ = takeLLVMString(message)
            return ""
        }
        defer { LLVMDisposeMemoryBuffer(buffer) }
        return String(decoding: UnsafeRawBufferPointer(start: LLVMGetBufferStart(buffer), count: LLVMGetBufferSize(buffer)),
                      as: UTF8.self)
    }

    enum FileKind { case object, assembly }

    /// Writes the module as an object file or assembly.
    func emit(_ code: CodeBuilder, to path: String, _ kind: FileKind) throws(BackendError) {
        var message: UnsafeMutablePointer<CChar>?
        var cPath = Array(path.utf8CString)
        let failed = cPath.withUnsafeMutableBufferPointer {
            LLVMTargetMachineEmitToFile(machine, code.module, $0.baseAddress, kind == .object ? LLVMObjectFile : LLVMAssemblyFile, &message)
        }
        if failed != 0 { throw .llvm("cannot emit '\(path)': \(takeLLVMString(message))") }
    }
}

/// Copies and frees the message of an LLVM error.
func takeLLVMError(_ error: LLVMErrorRef) -> String {
    guard let message = LLVMGetErrorMessage(error) else { return "unknown error" }
    defer { LLVMDisposeErrorMessage(message) }
    return String(cString: message)
}
