internal import CLLVM

/// An LLVM value, as the C API hands it out.
typealias IRValue = LLVMValueRef
/// An LLVM type.
typealias IRType = LLVMTypeRef

/// A thin Swift layer over the LLVM C API for writing kernels: one context, one module, one
/// instruction builder, the handful of types kernels use, and helpers for arithmetic,
/// memory and counted loops.
///
/// Conventions: indices and sizes are `i64`; tensors are `f32` or `i32` arrays behind opaque
/// pointers. Integer arithmetic is marked `nsw` (sizes are far below 2⁶³), which lets LLVM's
/// scalar evolution reason about loop trip counts and vectorise. Floating-point additions and
/// multiplications allow contraction into FMA; reductions additionally allow reassociation
/// (`reassociating`), which is what lets LLVM vectorise them.
final class CodeBuilder {
    let context: LLVMContextRef
    let module: LLVMModuleRef
    let builder: LLVMBuilderRef

    let void: IRType, i1: IRType, i8: IRType, i32: IRType, i64: IRType, f32: IRType, ptr: IRType

    /// Fast-math flags on new `fadd`/`fsub`/`fmul`/`fdiv` instructions.
    private var floatFlags = LLVMFastMathFlags(LLVMFastMathAllowContract)
    private var intrinsics: [String: (IRValue, IRType)] = [:]

    init(moduleName: String) {
        context = LLVMContextCreate()
        module = LLVMModuleCreateWithNameInContext(moduleName, context)
        builder = LLVMCreateBuilderInContext(context)
        void = LLVMVoidTypeInContext(context)
        i1 = LLVMInt1TypeInContext(context)
        i8 = LLVMInt8TypeInContext(context)
        i32 = LLVMInt32TypeInContext(context)
        i64 = LLVMInt64TypeInContext(context)
        f32 = LLVMFloatTypeInContext(context)
        ptr = LLVMPointerTypeInContext(context, 0)
    }

    deinit {
        LLVMDisposeBuilder(builder)
        LLVMDisposeModule(module)
        LLVMContextDispose(context)
    }

    // MARK: - Functions and blocks

    /// Declares (or returns the existing) function `name` of type `(params) -> result`.
    func function(_ name: String, _ params: [IRType], _ result: IRType, internal isInternal: Bool = true) -> (IRValue, IRType) {
        var params = params.map { Optional($0) }
        let type = params.withUnsafeMutableBufferPointer { LLVMFunctionType(result, $0.baseAddress, UInt32($0.count), 0) }!
        if let existing = LLVMGetNamedFunction(module, name) { return (existing, type) }
        let fn = LLVMAddFunction(module, name, type)!
        if isInternal { LLVMSetLinkage(fn, LLVMInternalLinkage) }
        addAttribute("nounwind", to: fn)
        return (fn, type)
    }

    /// The function type `(params) -> result`.
    func functionType(_ params: [IRType], _ result: IRType) -> IRType {
        var params = params.map { Optional($0) }
        return params.withUnsafeMutableBufferPointer { LLVMFunctionType(result, $0.baseAddress, UInt32($0.count), 0) }!
    }

    /// Adds the enum attribute `name` (e.g. "noalias") at `index` (function = ~0, return = 0, params from 1).
    func addAttribute(_ name: String, to fn: IRValue, at index: UInt32 = UInt32.max) {
        let kind = LLVMGetEnumAttributeKindForName(name, name.utf8.count)
        LLVMAddAttributeAtIndex(fn, index, LLVMCreateEnumAttribute(context, kind, 0))
    }

    /// Appends a basic block to `fn` and positions the builder at its end.
    @discardableResult
    func startBlock(in fn: IRValue, _ name: String = "entry") -> LLVMBasicBlockRef {
        let block = LLVMAppendBasicBlockInContext(context, fn, name)!
        LLVMPositionBuilderAtEnd(builder, block)
        return block
    }

    /// Appends an empty basic block to the current function.
    func block(_ name: String) -> LLVMBasicBlockRef {
        LLVMAppendBasicBlockInContext(context, currentFunction, name)!
    }

    var currentBlock: LLVMBasicBlockRef { LLVMGetInsertBlock(builder)! }
    var currentFunction: IRValue { LLVMGetBasicBlockParent(currentBlock)! }

    func position(at block: LLVMBasicBlockRef) { LLVMPositionBuilderAtEnd(builder, block) }

    func param(_ fn: IRValue, _ index: Int) -> IRValue { LLVMGetParam(fn, UInt32(index))! }

    // MARK: - Constants

    func i64(_ v: Int) -> IRValue { LLVMConstInt(i64, UInt64(bitPattern: Int64(v)), 1)! }
    func i32(_ v: Int) -> IRValue { LLVMConstInt(i32, UInt64(bitPattern: Int64(v)), 1)! }
    func f32(_ v: Float) -> IRValue { LLVMConstReal(f32, Double(v))! }
    var null: IRValue { LLVMConstNull(ptr)! }

    // MARK: - Integer arithmetic (i64 unless the operands say otherwise)

    func add(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildNSWAdd(builder, a, b, "")! }
    func sub(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildNSWSub(builder, a, b, "")! }
    func mul(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildNSWMul(builder, a, b, "")! }
    func div(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildSDiv(builder, a, b, "")! }
    func rem(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildSRem(builder, a, b, "")! }
    func add(_ a: IRValue, _ b: Int) -> IRValue { b == 0 ? a : add(a, i64(b)) }
    func mul(_ a: IRValue, _ b: Int) -> IRValue { b == 1 ? a : mul(a, i64(b)) }
    func lt(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildICmp(builder, LLVMIntSLT, a, b, "")! }
    func le(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildICmp(builder, LLVMIntSLE, a, b, "")! }
    func eq(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildICmp(builder, LLVMIntEQ, a, b, "")! }
    func select(_ c: IRValue, _ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildSelect(builder, c, a, b, "")! }
    func smin(_ a: IRValue, _ b: IRValue) -> IRValue { select(lt(a, b), a, b) }
    func smax(_ a: IRValue, _ b: IRValue) -> IRValue { select(lt(a, b), b, a) }
    func sext(_ v: IRValue) -> IRValue { LLVMBuildSExt(builder, v, i64, "")! }
    func trunc32(_ v: IRValue) -> IRValue { LLVMBuildTrunc(builder, v, i32, "")! }
    func and(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildAnd(builder, a, b, "")! }
    func not(_ a: IRValue) -> IRValue { LLVMBuildNot(builder, a, "")! }
    func shl(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildShl(builder, a, b, "")! }
    func lshr(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildLShr(builder, a, b, "")! }
    func ashr(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildAShr(builder, a, b, "")! }
    func xor(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildXor(builder, a, b, "")! }
    /// Two's-complement add and multiply (i32 tensors wrap, as the interpreter's `&+`, `&*`).
    func wrappingAdd(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildAdd(builder, a, b, "")! }
    func wrappingSub(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildSub(builder, a, b, "")! }
    func wrappingMul(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildMul(builder, a, b, "")! }

    /// The product of `values` (1 when empty).
    func product(_ values: [IRValue]) -> IRValue {
        values.dropFirst().reduce(values.first ?? i64(1)) { mul($0, $1) }
    }

    /// ⌈a / b⌉ for positive b.
    func ceilDiv(_ a: IRValue, _ b: Int) -> IRValue { div(add(a, b - 1), i64(b)) }

    // MARK: - Floating point

    /// Runs `body` with reassociation allowed on new float instructions (for reductions).
    func reassociating<T>(_ body: () -> T) -> T {
        let saved = floatFlags
        floatFlags = LLVMFastMathFlags(LLVMFastMathAllowContract | LLVMFastMathAllowReassoc)
        defer { floatFlags = saved }
        return body()
    }

    private func flagged(_ v: IRValue) -> IRValue {
        LLVMSetFastMathFlags(v, floatFlags)
        return v
    }

    func fadd(_ a: IRValue, _ b: IRValue) -> IRValue { flagged(LLVMBuildFAdd(builder, a, b, "")!) }
    func fsub(_ a: IRValue, _ b: IRValue) -> IRValue { flagged(LLVMBuildFSub(builder, a, b, "")!) }
    func fmul(_ a: IRValue, _ b: IRValue) -> IRValue { flagged(LLVMBuildFMul(builder, a, b, "")!) }
    func fdiv(_ a: IRValue, _ b: IRValue) -> IRValue { flagged(LLVMBuildFDiv(builder, a, b, "")!) }
    func fneg(_ a: IRValue) -> IRValue { LLVMBuildFNeg(builder, a, "")! }
    func flt(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildFCmp(builder, LLVMRealOLT, a, b, "")! }
    func fgt(_ a: IRValue, _ b: IRValue) -> IRValue { LLVMBuildFCmp(builder, LLVMRealOGT, a, b, "")! }
    func sitofp(_ v: IRValue) -> IRValue { LLVMBuildSIToFP(builder, v, f32, "")! }
    func fptosi32(_ v: IRValue) -> IRValue { LLVMBuildFPToSI(builder, v, i32, "")! }
    func bitcastToFloat(_ v: IRValue) -> IRValue { LLVMBuildBitCast(builder, v, f32, "")! }

    /// `llvm.<name>.f32(args)`, e.g. `sqrt`, `fabs`, `rint`, `maxnum`, `minnum`.
    func floatIntrinsic(_ name: String, _ args: [IRValue]) -> IRValue {
        let full = "llvm.\(name).f32"
        let (fn, type): (IRValue, IRType)
        if let cached = intrinsics[full] {
            (fn, type) = cached
        } else {
            (fn, type) = function(full, Array(repeating: f32, count: args.count), f32, internal: false)
            intrinsics[full] = (fn, type)
        }
        return call(fn, type, args)
    }

    func fmax(_ a: IRValue, _ b: IRValue) -> IRValue { floatIntrinsic("maxnum", [a, b]) }
    func fmin(_ a: IRValue, _ b: IRValue) -> IRValue { floatIntrinsic("minnum", [a, b]) }
    func sqrt(_ a: IRValue) -> IRValue { floatIntrinsic("sqrt", [a]) }
    func fabs(_ a: IRValue) -> IRValue { floatIntrinsic("fabs", [a]) }
    /// Clamps `x` to `[lo, hi]`.
    func clamp(_ x: IRValue, _ lo: Float, _ hi: Float) -> IRValue { fmin(fmax(x, f32(lo)), f32(hi)) }

    // MARK: - Memory

    /// Address of element `index` of a `type` array at `base`.
    func gep(_ type: IRType, _ base: IRValue, _ index: IRValue) -> IRValue {
        var indices = [Optional(index)]
        return indices.withUnsafeMutableBufferPointer { LLVMBuildInBoundsGEP2(builder, type, base, $0.baseAddress, 1, "")! }
    }

    /// `base + bytes`.
    func offset(_ base: IRValue, bytes: IRValue) -> IRValue { gep(i8, base, bytes) }

    func load(_ type: IRType, _ pointer: IRValue, align: UInt32 = 4) -> IRValue {
        let v = LLVMBuildLoad2(builder, type, pointer, "")!
        LLVMSetAlignment(v, align)
        return v
    }

    func store(_ value: IRValue, _ pointer: IRValue, align: UInt32 = 4) {
        let s = LLVMBuildStore(builder, value, pointer)!
        LLVMSetAlignment(s, align)
    }

    /// `type` element `index` of the array at `base`.
    func load(_ type: IRType, _ base: IRValue, _ index: IRValue) -> IRValue { load(type, gep(type, base, index)) }
    func store(_ value: IRValue, _ type: IRType, _ base: IRValue, _ index: IRValue) { store(value, gep(type, base, index)) }

    /// A stack slot in the current function's entry block (so LLVM can promote or reuse it).
    func entryAlloca(_ type: IRType, count: IRValue? = nil) -> IRValue {
        let saved = currentBlock
        let entry = LLVMGetEntryBasicBlock(currentFunction)!
        if let first = LLVMGetFirstInstruction(entry) {
            LLVMPositionBuilderBefore(builder, first)
        } else {
            LLVMPositionBuilderAtEnd(builder, entry)
        }
        let slot = count.map { LLVMBuildArrayAlloca(builder, type, $0, "")! } ?? LLVMBuildAlloca(builder, type, "")!
        LLVMSetAlignment(slot, 64)
        LLVMPositionBuilderAtEnd(builder, saved)
        return slot
    }

    /// A dynamically sized stack array of `count` elements in the current block (for per-task
    /// scratch rows); freed when the function returns.
    func scratch(_ type: IRType, count: IRValue) -> IRValue {
        let slot = LLVMBuildArrayAlloca(builder, type, count, "")!
        LLVMSetAlignment(slot, 64)
        return slot
    }

    // MARK: - Calls and control flow

    @discardableResult
    func call(_ fn: IRValue, _ type: IRType, _ args: [IRValue]) -> IRValue {
        var args = args.map { Optional($0) }
        return args.withUnsafeMutableBufferPointer {
            LLVMBuildCall2(builder, type, fn, $0.baseAddress, UInt32($0.count), "")!
        }
    }

    func branch(_ to: LLVMBasicBlockRef) { LLVMBuildBr(builder, to) }
    func branch(if condition: IRValue, _ then: LLVMBasicBlockRef, else other: LLVMBasicBlockRef) {
        LLVMBuildCondBr(builder, condition, then, other)
    }
    func retVoid() { LLVMBuildRetVoid(builder) }
    func ret(_ v: IRValue) { LLVMBuildRet(builder, v) }

    /// `for i in from ..< to { body(i) }` with i64 `i`.
    func loop(_ from: IRValue, _ to: IRValue, _ body: (IRValue) -> Void) {
        _ = loop(from, to, carrying: []) { i, _ in
            body(i)
            return []
        }
    }

    /// `for i in 0 ..< count { body(i) }`.
    func loop(_ count: Int, _ body: (IRValue) -> Void) { loop(i64(0), i64(count), body) }

    /// A counted loop carrying values (reductions): `body(i, current)` returns the next values;
    /// returns the values after the last iteration (the initial ones when it runs zero times).
    func loop(_ from: IRValue, _ to: IRValue, carrying initial: [IRValue], _ body: (IRValue, [IRValue]) -> [IRValue]) -> [IRValue] {
        let preheader = currentBlock
        let header = block("loop"), bodyBlock = block("body"), exit = block("exit")
        branch(header)
        position(at: header)
        let index = LLVMBuildPhi(builder, i64, "i")!
        let carried = initial.map { LLVMBuildPhi(builder, LLVMTypeOf($0), "")! }
        branch(if: lt(index, to), bodyBlock, else: exit)
        position(at: bodyBlock)
        let next = body(index, carried)
        let incremented = add(index, i64(1))
        let latch = currentBlock
        branch(header)
        addIncoming(index, [(from, preheader), (incremented, latch)])
        for (phi, (start, value)) in zip(carried, zip(initial, next)) {
            addIncoming(phi, [(start, preheader), (value, latch)])
        }
        position(at: exit)
        return carried
    }

    /// `if condition { body() }`.
    func when(_ condition: IRValue, _ body: () -> Void) {
        let then = block("then"), done = block("done")
        branch(if: condition, then, else: done)
        position(at: then)
        body()
        branch(done)
        position(at: done)
    }

    private func addIncoming(_ phi: IRValue, _ pairs: [(IRValue, LLVMBasicBlockRef)]) {
        var values = pairs.map { Optional($0.0) }
        var blocks = pairs.map { Optional($0.1) }
        values.withUnsafeMutableBufferPointer { v in
            blocks.withUnsafeMutableBufferPointer { b in
                LLVMAddIncoming(phi, v.baseAddress, b.baseAddress, UInt32(pairs.count))
            }
        }
    }

    // MARK: - Structs

    func structType(_ fields: [IRType]) -> IRType {
        var fields = fields.map { Optional($0) }
        return fields.withUnsafeMutableBufferPointer { LLVMStructTypeInContext(context, $0.baseAddress, UInt32($0.count), 0)! }
    }

    /// Address of field `index` of the struct of `type` at `base`.
    func field(_ type: IRType, _ base: IRValue, _ index: Int) -> IRValue {
        LLVMBuildStructGEP2(builder, type, base, UInt32(index), "")!
    }

    /// Checks the module; returns the verifier's message when it is broken.
    func verify() -> String? {
        var message: UnsafeMutablePointer<CChar>?
        let broken = LLVMVerifyModule(module, LLVMReturnStatusAction, &message) != 0
        let text = takeLLVMString(message)
        return broken ? text : nil
    }

    /// The module as LLVM IR text.
    var text: String { takeLLVMString(LLVMPrintModuleToString(module)) }
}
