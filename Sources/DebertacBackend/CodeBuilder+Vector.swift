internal import CLLVM

/// Explicit SIMD for hand-blocked kernels (the packed matrix product): `<lanes x float>`
/// values, loads, stores, broadcasts and fused multiply-adds. Everything else is scalar code
/// that LLVM vectorises itself.
extension CodeBuilder {
    func vectorType(_ lanes: Int) -> IRType { LLVMVectorType(f32, UInt32(lanes))! }

    /// `lanes` floats at `pointer` (4-byte alignment: panels are aligned, activations need not be).
    func loadVector(_ lanes: Int, _ pointer: IRValue) -> IRValue { load(vectorType(lanes), pointer, align: 4) }

    func storeVector(_ value: IRValue, _ pointer: IRValue) { store(value, pointer, align: 4) }

    /// `lanes` elements stored in `precision` at `pointer`, widened to floats (exactly): f16 by
    /// `fpext` (one `vcvtph2ps`), bf16 as the upper halves of the floats' bit patterns.
    func loadVector(_ lanes: Int, _ pointer: IRValue, precision: WeightsLayout.Precision) -> IRValue {
        let count = UInt32(lanes)
        switch precision {
        case .f32:
            return loadVector(lanes, pointer)
        case .f16:
            let halves = load(LLVMVectorType(LLVMHalfTypeInContext(context), count)!, pointer, align: 2)
            return LLVMBuildFPExt(builder, halves, vectorType(lanes), "")!
        case .bf16:
            let words = load(LLVMVectorType(LLVMInt16TypeInContext(context), count)!, pointer, align: 2)
            let wide = LLVMBuildZExt(builder, words, LLVMVectorType(i32, count)!, "")!
            var sixteens: [IRValue?] = Array(repeating: i32(16), count: lanes)
            let shift = sixteens.withUnsafeMutableBufferPointer { LLVMConstVector($0.baseAddress, count)! }
            return LLVMBuildBitCast(builder, LLVMBuildShl(builder, wide, shift, "")!, vectorType(lanes), "")!
        }
    }

    func zeroVector(_ lanes: Int) -> IRValue { LLVMConstNull(vectorType(lanes))! }

    /// The scalar `x` in every lane.
    func splat(_ x: IRValue, lanes: Int) -> IRValue {
        let undefined = LLVMGetUndef(vectorType(lanes))!
        let first = LLVMBuildInsertElement(builder, undefined, x, i32(0), "")!
        let zeros = LLVMConstNull(LLVMVectorType(i32, UInt32(lanes)))!
        return LLVMBuildShuffleVector(builder, first, undefined, zeros, "")!
    }

    /// The scalar `x` in every lane of the vector type `type`.
    func splat(_ x: IRValue, type: IRType) -> IRValue {
        let undefined = LLVMGetUndef(type)!
        let first = LLVMBuildInsertElement(builder, undefined, x, i32(0), "")!
        let zeros = LLVMConstNull(LLVMVectorType(i32, LLVMGetVectorSize(type)))!
        return LLVMBuildShuffleVector(builder, first, undefined, zeros, "")!
    }

    /// `a · b + c` with one rounding, lane by lane (`llvm.fma.v<lanes>f32`).
    func fma(_ a: IRValue, _ b: IRValue, _ c: IRValue, lanes: Int) -> IRValue {
        let type = vectorType(lanes)
        let (fn, fnType) = function("llvm.fma.v\(lanes)f32", [type, type, type], type, internal: false)
        return call(fn, fnType, [a, b, c])
    }

    /// Adds the string attribute `name = value` to a function.
    func addStringAttribute(_ name: String, _ value: String, to fn: IRValue) {
        let attribute = LLVMCreateStringAttribute(context, name, UInt32(name.utf8.count), value, UInt32(value.utf8.count))
        LLVMAddAttributeAtIndex(fn, UInt32.max, attribute)
    }
}
