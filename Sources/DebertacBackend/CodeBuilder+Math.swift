internal import CLLVM
import DebertacIR

/// Transcendental functions as straight-line IR (no calls, no branches), so that loops over
/// them vectorise: range reduction plus polynomials, with the accuracy fp32 inference needs.
///
/// Measured over [−100, 100] in steps of 3.7e-4 against libm in double precision:
/// `exp` ≤ 8.1e-8 relative error (on [−87, 88]), `erf` ≤ 3.5e-7 absolute, `tanh` ≤ 3.3e-7
/// absolute (see BackendMathTests).
extension CodeBuilder {
    /// eˣ: Cephes' `expf`. x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two for an exact
    /// reduction), a degree-6 polynomial for eʳ, and 2ⁿ built in the exponent bits. Inputs
    /// below −87.34 (where eˣ is below the smallest normal float) give 0, as masked softmax
    /// entries need; inputs above 88 saturate at e⁸⁸ ≈ 1.65e38.
    func exp(_ x: IRValue) -> IRValue {
        let clamped = clamp(x, -87.336_54, 88.0)
        let n = floatIntrinsic("rint", [fmul(clamped, f32(1.442_695_040_888_963_41))])
        var r = fsub(clamped, fmul(n, f32(0.693_359_375)))
        r = fsub(r, fmul(n, f32(-2.121_944_40e-4)))
        var p = f32(1.987_569_150_0e-4)
        for c: Float in [1.398_199_950_7e-3, 8.333_451_907_3e-3, 4.166_579_589_4e-2, 1.666_666_545_9e-1, 5.000_000_120_1e-1] {
            p = fadd(fmul(p, r), f32(c))
        }
        let y = fadd(fadd(fmul(fmul(p, r), r), r), f32(1))
        let exponent = shl(LLVMBuildNSWAdd(builder, fptosi32(n), i32(127), "")!, i32(23))
        let scaled = fmul(y, bitcastToFloat(exponent))
        return select(flt(x, f32(-87.336_54)), f32(0), scaled)
    }

    /// erf(x): the odd/even rational approximation of Eigen and XLA (`ErfImpl32`) on [−4, 4];
    /// outside, erf is ±1 in fp32.
    func erf(_ x: IRValue) -> IRValue {
        let c = clamp(x, -4, 4)
        let x2 = fmul(c, c)
        var p = f32(-2.726_142_258_013_06e-10)
        for a: Float in [2.770_681_424_959_02e-08, -2.101_024_020_825_08e-06, -5.692_506_394_623_46e-05,
                         -7.349_906_303_268_55e-04, -2.954_599_808_540_25e-03, -1.609_603_332_624_15e-02] {
            p = fadd(fmul(p, x2), f32(a))
        }
        p = fmul(p, c)
        var q = f32(-1.456_607_184_649_96e-05)
        for b: Float in [-2.133_740_552_789_05e-04, -1.682_826_974_382_03e-03, -7.373_329_167_204_68e-03, -1.426_473_905_141_89e-02] {
            q = fadd(fmul(q, x2), f32(b))
        }
        return fdiv(p, q)
    }

    /// tanh(x): Eigen's rational approximation on [−7.905, 7.905], ±1 beyond (tanh is ±1 in
    /// fp32 there), and x itself for |x| < 4e-4 where the rational form loses relative accuracy.
    func tanh(_ x: IRValue) -> IRValue {
        let c = clamp(x, -7.905_311_107_635_498_05, 7.905_311_107_635_498_05)
        let x2 = fmul(c, c)
        var p = f32(-2.760_768_477_423_55e-16)
        for a: Float in [2.000_187_904_824_77e-13, -8.604_671_522_137_35e-11, 5.122_297_090_371_14e-08,
                         1.485_722_357_179_79e-05, 6.372_619_288_754_36e-04, 4.893_524_558_917_86e-03] {
            p = fadd(fmul(p, x2), f32(a))
        }
        p = fmul(p, c)
        var q = f32(1.198_258_394_667_02e-06)
        for b: Float in [1.185_347_056_866_54e-04, 2.268_434_632_439_00e-03, 4.893_525_185_543_85e-03] {
            q = fadd(fmul(q, x2), f32(b))
        }
        // ±1 beyond the clamp, where the rational form is 2.4e-7 short of it.
        let saturated = select(fgt(fabs(x), f32(7.905_311_107_635_498_05)), floatIntrinsic("copysign", [f32(1), x]), fdiv(p, q))
        return select(flt(fabs(x), f32(4e-4)), x, saturated)
    }

    /// 1 / (1 + e⁻ˣ).
    func sigmoid(_ x: IRValue) -> IRValue {
        fdiv(f32(1), fadd(f32(1), exp(fneg(x))))
    }

    /// The activation op `kind` (one of `OpKind.activations`) applied to `x`, with the
    /// formulas of the op table; nil for any other op.
    func activation(_ kind: OpKind, _ x: IRValue) -> IRValue? {
        switch kind {
        case .gelu:
            // 0.5 · x · (1 + erf(x / √2))
            let e = erf(fmul(x, f32(Float(0.5.squareRoot()))))
            return fmul(fmul(f32(0.5), x), fadd(f32(1), e))
        case .geluTanh:
            // 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
            let cube = fmul(fmul(x, x), x)
            let inner = fmul(f32(Float((2.0 / Double.pi).squareRoot())), fadd(x, fmul(f32(0.044715), cube)))
            return fmul(fmul(f32(0.5), x), fadd(f32(1), tanh(inner)))
        case .relu:
            return fmax(x, f32(0))
        case .tanh:
            return tanh(x)
        case .sigmoid:
            return sigmoid(x)
        case .silu:
            return fmul(x, sigmoid(x))
        case .quickGelu:
            return fmul(x, sigmoid(fmul(f32(1.702), x)))
        default:
            return nil
        }
    }
}
