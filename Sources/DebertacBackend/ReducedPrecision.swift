/// The arithmetic of a `linear` compiled below fp32 (`--precision`, docs/precision.md): how its
/// weight is stored and how its activations are converted before the product.
///
/// - `bf16`: weights and activations rounded to bfloat16 (to nearest, ties to even), products
///   summed in fp32 by `vdpbf16ps` (AVX512-BF16), two reduction steps per instruction and lane.
/// - `int8`: weights symmetric int8 per output channel (scale max|w| / 127, computed here);
///   activations asymmetric uint8 per row (token), scale and zero point from the row's range at
///   run time; products summed exactly in int32 by `vpdpbusd` (AVX512-VNNI), four steps per
///   instruction and lane; the epilogue subtracts the zero point times the channel's weight sum
///   and multiplies by both scales.
enum ReducedPrecision: String, Hashable, CustomStringConvertible {
    case bf16, int8

    var description: String { rawValue }

    /// Reduction elements one 32-bit lane of the dot-product instruction takes per step.
    var group: Int { self == .bf16 ? 2 : 4 }

    /// Bytes of one converted activation or packed weight element.
    var elementBytes: Int { self == .bf16 ? 2 : 1 }

    /// The LLVM feature that provides the dot-product instruction.
    var requiredFeature: String { self == .bf16 ? "avx512bf16" : "avx512vnni" }

    /// Reduction steps (lanes' groups) of a K-element row, K padded to a whole group.
    func steps(_ k: Int) -> Int { (k + group - 1) / group }

    /// Bytes of a packed `[rows, columns]` weight (`WeightsLayout.Source.reducedPanels`): the
    /// panels, and for int8 the scales and sums of the padded rows.
    func weightBytes(rows: Int, columns: Int, width: Int) -> Int {
        let padded = (rows + width - 1) / width * width
        return padded * steps(columns) * 4 + (self == .int8 ? 2 * padded * 4 : 0)
    }

    /// `value` rounded to bfloat16 (to nearest, ties to even), as a float; NaN stays NaN.
    static func roundedToBF16(_ value: Float) -> Float {
        Float(bitPattern: UInt32(bf16Bits(value)) << 16)
    }

    /// The bfloat16 bit pattern nearest `value` (ties to even), as the kernels' activation
    /// conversion computes it.
    static func bf16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    /// The symmetric int8 quantization of one output channel: its scale and values.
    static func quantized(_ row: ArraySlice<Float>) -> (scale: Float, values: [Int8]) {
        let largest = row.reduce(Float(0)) { max($0, abs($1)) }
        let scale: Float = largest > 0 && largest.isFinite ? largest / 127 : 1
        return (scale, row.map { Int8(max(-127, min(127, ($0 / scale).rounded(.toNearestOrEven)))) })
    }

    /// The packed bytes of the row-major `[rows, columns]` matrix `w` (see `weightBytes`).
    func pack(_ w: [Float], rows: Int, columns: Int, width: Int) -> [UInt8] {
        let steps = steps(columns)
        let padded = (rows + width - 1) / width * width
        var out = [UInt8](repeating: 0, count: weightBytes(rows: rows, columns: columns, width: width))
        switch self {
        case .bf16:
            for row in 0..<rows {
                let (panel, lane) = (row / width, row % width)
                for column in 0..<columns {
                    let bits = Self.bf16Bits(w[row * columns + column])
                    let at = (((panel * steps + column / 2) * width + lane) * 2 + column % 2) * 2
                    out[at] = UInt8(truncatingIfNeeded: bits)
                    out[at + 1] = UInt8(truncatingIfNeeded: bits >> 8)
                }
            }
        case .int8:
            let scalesAt = padded * steps * 4, sumsAt = scalesAt + padded * 4
            for row in 0..<rows {
                let (panel, lane) = (row / width, row % width)
                let (scale, values) = Self.quantized(w[row * columns ..< (row + 1) * columns])
                for (column, q) in values.enumerated() {
                    out[((panel * steps + column / 4) * width + lane) * 4 + column % 4] = UInt8(bitPattern: q)
                }
                let sum = UInt32(bitPattern: values.reduce(Int32(0)) { $0 + Int32($1) })
                for byte in 0..<4 {
                    out[scalesAt + row * 4 + byte] = UInt8(truncatingIfNeeded: scale.bitPattern >> (8 * byte))
                    out[sumsAt + row * 4 + byte] = UInt8(truncatingIfNeeded: sum >> (8 * byte))
                }
            }
        }
        return out
    }
}
