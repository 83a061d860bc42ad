internal import CLLVM
import DebertacIR
import DebertacInterpreter

/// Generates the LLVM module of one model: a kernel per scheduled op, specialised to the
/// model's static dimensions, and `debertac__forward`, which runs the schedule.
///
/// Contract with the runtime (Runtime/debertac_runtime.h): `int32_t debertac__forward(const
/// debertac_exec *)` reads its operands from the exec record; each kernel is a task function
/// `void (const void *args, int64_t begin, int64_t end, void *workspace)` that the entry hands
/// to the runtime's `parallel_for` with a task count; `workspace` is the running thread's
/// scratch, sized by `workspace` below. `args` points to the kernel's operand pointers followed
/// by B and T (`{ptr × n, i64, i64}`). A task function loads them and calls the kernel body
/// (an internal function with `noalias` pointer parameters, so LLVM vectorises without alias
/// checks), which runs tasks `begin ..< end`. Identical kernels (same op, attributes, types
/// and aliasing) are generated once and shared by every layer.
final class ModuleEmitter {
    let code: CodeBuilder
    let graph: Graph
    let plan: ExecutionPlan
    let weights: WeightsLayout
    /// Types of the runtime's records.
    let execType: IRType
    let parallelForType: IRType

    // Values of the entry function, loaded once.
    private var exec: IRValue!
    private(set) var batch: IRValue!
    private(set) var length: IRValue!
    private var fieldValues: [ExecField: IRValue] = [:]
    private var argsSlot: IRValue!
    private var bufferPointers: [Int: IRValue] = [:]

    private var tasks: [String: IRValue] = [:]
    /// Number of distinct kernels generated.
    var kernelCount: Int { tasks.count }
    private var taskCounter = 0
    private var sgemmFunction: (IRValue, IRType)?

    /// The scratch each pool thread must have: `perSquaredLength · T² + perLength · T + constant`
    /// bytes, at least what any kernel asked for (`requireWorkspace`).
    private(set) var workspace = Workspace()

    /// The longest sequence the model serves (sizes compile-time tables over i − j).
    let maxSequenceLength: Int
    /// The register block of the packed matrix product, for the target's vector registers.
    let gemm: PackedGemm
    /// The weights' data, read to choose how packed matrices are stored (`storagePrecision`).
    let constants: any ConstantProvider
    /// Whether the target widens fp16 with one instruction (`TargetMachine.convertsHalves`).
    let halvesAreCheap: Bool
    /// The reduced precisions the target has dot-product instructions for (AVX-512 with BF16,
    /// VNNI): `linear` ops marked with another precision fall back or fail (`lowerLinear`).
    let reducedKernels: Set<ReducedPrecision>
    private var precisions: [WeightsLayout.Source: WeightsLayout.Precision] = [:]

    init(graph: Graph, plan: ExecutionPlan, weights: WeightsLayout, constants: any ConstantProvider, code: CodeBuilder,
         maxSequenceLength: Int, vectorRegisters: (lanes: Int, count: Int), halvesAreCheap: Bool,
         reducedKernels: Set<ReducedPrecision> = []) {
        self.reducedKernels = vectorRegisters.lanes == 16 ? reducedKernels : []
        self.maxSequenceLength = maxSequenceLength
        gemm = PackedGemm(vectorRegisters: vectorRegisters)
        self.constants = constants
        self.halvesAreCheap = halvesAreCheap
        self.code = code
        self.graph = graph
        self.plan = plan
        self.weights = weights
        execType = code.structType(ExecField.allCases.map { $0.isInteger ? code.i64 : code.ptr })
        parallelForType = code.functionType([code.ptr, code.ptr, code.ptr, code.i64], code.void)
    }

    /// Emits `debertac__forward` and every kernel it calls.
    func emit() throws(BackendError) {
        let (forward, _) = code.function("debertac__forward", [code.ptr], code.i32, internal: false)
        LLVMSetVisibility(forward, LLVMHiddenVisibility)
        code.addAttribute("noalias", to: forward, at: 1)
        code.startBlock(in: forward)
        exec = code.param(forward, 0)
        for field in ExecField.allCases {
            let value = code.load(field.isInteger ? code.i64 : code.ptr, code.field(execType, exec, field.rawValue), align: 8)
            fieldValues[field] = value
        }
        batch = fieldValues[.batch]
        length = fieldValues[.length]
        argsSlot = code.entryAlloca(LLVMArrayType2(code.i64, 64))
        for id in plan.schedule {
            try lower(graph[op: id])
        }
        code.ret(code.i32(0))
    }

    // MARK: - Operands

    /// Where a kernel pointer comes from.
    enum PointerSource {
        /// The storage of a graph value.
        case value(ValueID)
        /// A weights entry that only this kernel's layout uses (e.g. conv taps).
        case weights(WeightsLayout.Source, elements: Int)
    }

    /// The storage a pointer source denotes, for alias analysis.
    private func identity(_ source: PointerSource) -> ExecutionPlan.Storage {
        switch source {
        case let .value(v): plan.storage[v]!.root
        case let .weights(s, _): .weights(s)
        }
    }

    /// The pointer (in the entry function) to `source`'s data.
    private func pointer(_ source: PointerSource) throws(BackendError) -> IRValue {
        switch source {
        case let .value(value):
            guard let storage = plan.storage[value] else {
                throw .unsupportedOp(value: graph.name(of: value), op: "value", reason: "the value has no storage")
            }
            let root = plan.viewed[value] ?? value
            return try pointer(storage, elements: { graph.type(of: root).staticShape?.reduce(1, *) })
        case let .weights(source, elements):
            return code.offset(fieldValues[.weights]!, bytes: code.i64(weights.offset(of: source, elements: elements)))
        }
    }

    private func pointer(_ storage: ExecutionPlan.Storage, elements: () -> Int?) throws(BackendError) -> IRValue {
        switch storage {
        case let .input(field):
            return fieldValues[field]!
        case let .weights(source):
            let count: Int
            switch source {
            case let .ints(values): count = values.count
            default:
                guard let n = elements() else { throw .unsupportedOp(value: "\(source)", op: "constant", reason: "dynamic shape") }
                count = n
            }
            return code.offset(fieldValues[.weights]!, bytes: code.i64(weights.offset(of: source, elements: count)))
        case let .arena(buffer):
            if let cached = bufferPointers[buffer] { return cached }
            let offset = code.load(code.i64, fieldValues[.bufferOffsets]!, code.i64(buffer))
            let p = code.offset(fieldValues[.arena]!, bytes: offset)
            bufferPointers[buffer] = p
            return p
        case let .view(base, byteOffset):
            let p = try pointer(base, elements: elements)
            return byteOffset == 0 ? p : code.offset(p, bytes: code.i64(byteOffset))
        case .logits:
            return fieldValues[.logits]!
        }
    }

    /// A dimension's size in the entry function.
    func size(_ dim: Dim) -> IRValue {
        switch dim {
        case let .fixed(n): code.i64(n)
        case .batch: batch
        case .seq: length
        }
    }

    // MARK: - Launching kernels

    /// What a kernel body sees: its pointers (in the order given to `launch`), B, T, its task
    /// range and the running thread's workspace (64-byte aligned; see `requireWorkspace`).
    struct KernelArgs {
        let pointers: [IRValue]
        let batch: IRValue
        let length: IRValue
        let begin: IRValue
        let end: IRValue
        let workspace: IRValue
        subscript(_ index: Int) -> IRValue { pointers[index] }

        /// A dimension's size inside the kernel.
        func size(_ dim: Dim, _ code: CodeBuilder) -> IRValue {
            switch dim {
            case let .fixed(n): code.i64(n)
            case .batch: batch
            case .seq: length
            }
        }
    }

    /// Runs a kernel over `count` tasks (an i64 computed in the entry function). The last
    /// pointer is the one the kernel writes; the others are read-only. `key` must determine
    /// the body completely (op, attributes, types); aliasing is added to it here.
    func launch(_ key: String, _ sources: [PointerSource], count: IRValue,
                body: (KernelArgs) -> Void) throws(BackendError) {
        let identities = sources.map(identity)
        let noalias = identities.indices.map { i in !identities.indices.contains { $0 != i && identities[$0] == identities[i] } }
        let aliasKey = identities.indices.map { i in String(identities.firstIndex(of: identities[i])!) }.joined(separator: ",")
        let fullKey = key + "|alias:" + aliasKey
        let pointers = try sources.map { (source) throws(BackendError) in try pointer(source) }
        let task = tasks[fullKey] ?? makeTask(fullKey, pointerCount: sources.count, noalias: noalias, body: body)
        tasks[fullKey] = task

        let argsType = code.structType(Array(repeating: code.ptr, count: sources.count) + [code.i64, code.i64])
        for (i, p) in pointers.enumerated() { code.store(p, code.field(argsType, argsSlot, i), align: 8) }
        code.store(batch, code.field(argsType, argsSlot, sources.count), align: 8)
        code.store(length, code.field(argsType, argsSlot, sources.count + 1), align: 8)
        code.call(fieldValues[.parallelFor]!, parallelForType, [fieldValues[.pool]!, task, argsSlot, count])
    }

    private func makeTask(_ key: String, pointerCount: Int, noalias: [Bool], body: (KernelArgs) -> Void) -> IRValue {
        let saved = code.currentBlock
        defer { code.position(at: saved) }
        let n = taskCounter
        taskCounter += 1
        let label = key.prefix { $0 != "|" }

        // The body: pointers, B, T, begin, end, workspace.
        let (impl, implType) = code.function("k\(n).\(label).body",
                                             Array(repeating: code.ptr, count: pointerCount)
                                                + [code.i64, code.i64, code.i64, code.i64, code.ptr],
                                             code.void)
        code.addAttribute("noalias", to: impl, at: UInt32(pointerCount + 5))
        for i in 0..<pointerCount {
            if noalias[i] { code.addAttribute("noalias", to: impl, at: UInt32(i + 1)) }
            if i < pointerCount - 1 { code.addAttribute("readonly", to: impl, at: UInt32(i + 1)) }
            code.addAttribute("nocapture", to: impl, at: UInt32(i + 1))
        }
        code.startBlock(in: impl)
        let args = KernelArgs(pointers: (0..<pointerCount).map { code.param(impl, $0) },
                              batch: code.param(impl, pointerCount), length: code.param(impl, pointerCount + 1),
                              begin: code.param(impl, pointerCount + 2), end: code.param(impl, pointerCount + 3),
                              workspace: code.param(impl, pointerCount + 4))
        body(args)
        code.retVoid()

        // The task: unpack args and call the body.
        let (task, _) = code.function("k\(n).\(label)", [code.ptr, code.i64, code.i64, code.ptr], code.void)
        code.startBlock(in: task)
        let argsType = code.structType(Array(repeating: code.ptr, count: pointerCount) + [code.i64, code.i64])
        let slot = code.param(task, 0)
        var values: [IRValue] = []
        for i in 0..<(pointerCount + 2) {
            values.append(code.load(i < pointerCount ? code.ptr : code.i64, code.field(argsType, slot, i), align: 8))
        }
        code.call(impl, implType, values + [code.param(task, 1), code.param(task, 2), code.param(task, 3)])
        code.retVoid()
        return task
    }

    // MARK: - Helpers for bodies

    /// Per-thread scratch bytes as a polynomial in T (mirrors the descriptor's `workspace_*`).
    struct Workspace {
        var perSquaredLength = 0, perLength = 0, constant = 0
    }

    /// How the packed copy of the constant matrix `source` is stored: in 2 bytes an element
    /// when fp16 or bf16 holds all its values exactly (fp16 and bf16 checkpoints), else fp32.
    func storagePrecision(of source: WeightsLayout.Source) throws(BackendError) -> WeightsLayout.Precision {
        if let known = precisions[source] { return known }
        let precision = try weights.narrowestPrecision(of: source, constants: constants, allowHalf: halvesAreCheap)
        precisions[source] = precision
        return precision
    }

    /// Asks for `perSquaredLength · T² + perLength · T + constant` bytes of per-thread workspace.
    func requireWorkspace(perSquaredLength: Int, perLength: Int, constant: Int) {
        workspace.perSquaredLength = max(workspace.perSquaredLength, perSquaredLength)
        workspace.perLength = max(workspace.perLength, perLength)
        workspace.constant = max(workspace.constant, constant)
    }

    /// `cblas_sgemm(RowMajor, NoTrans, transB ? Trans : NoTrans, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)`,
    /// sizes as i64 (narrowed to OpenBLAS's 32-bit `blasint`).
    func sgemm(transB: Bool, m: IRValue, n: IRValue, k: IRValue, a: IRValue, lda: IRValue,
               b: IRValue, ldb: IRValue, beta: Float, c: IRValue, ldc: IRValue) {
        if sgemmFunction == nil {
            let i = code.i32
            sgemmFunction = code.function("cblas_sgemm", [i, i, i, i, i, i, code.f32, code.ptr, i, code.ptr, i, code.f32, code.ptr, i],
                                          code.void, internal: false)
        }
        let (fn, type) = sgemmFunction!
        let t = code.trunc32
        code.call(fn, type, [code.i32(101), code.i32(111), code.i32(transB ? 112 : 111), t(m), t(n), t(k), code.f32(1),
                             a, t(lda), b, t(ldb), code.f32(beta), c, t(ldc)])
    }

    /// Runs `body` for each task index in `args.begin ..< args.end`.
    func forEachTask(_ args: KernelArgs, _ body: (IRValue) -> Void) {
        code.loop(args.begin, args.end, body)
    }

    /// `f32` or `i32` of a tensor type.
    func irElement(_ type: TensorType) -> IRType { type.element == .f32 ? code.f32 : code.i32 }

    /// A textual key part for a value's type.
    func typeKey(_ value: ValueID) -> String { graph.type(of: value).description }
}
