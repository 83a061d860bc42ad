/// The interpreter's kernels: one static function per op (or family of ops), on concrete
/// row-major `HostTensor`s, in fp32 (reductions in fp64 where that is free and brings the
/// result closer to the exact value).
///
/// Kernels trust the verifier: operand ranks, element types and static dimensions are
/// those the op's type rule accepted, and symbolic dimensions are bound consistently.
/// What they cannot trust is data: index operands (token ids, relative position indices)
/// are checked, and a bad one throws `IndexOutOfRange` rather than reading out of bounds.
/// Files: `Kernels+Elementwise.swift`, `Kernels+Linear.swift`, `Kernels+Normalization.swift`,
/// `Kernels+Attention.swift`, `Kernels+Data.swift`, and `RelativePosition.swift`.
enum Kernels {}

/// An index operand held `index`, outside `[0, limit)`.
struct IndexOutOfRange: Error {
    /// Name of the operand in the op table (`ids`, `idx`).
    let operand: String
    let index: Int
    let limit: Int
}

extension Kernels {
    /// Checks that every element of the i32 `values` lies in `[0, limit)`.
    static func checkIndices(_ values: [Int32], limit: Int, operand: String) throws(IndexOutOfRange) {
        for value in values where value < 0 || Int(value) >= limit {
            throw IndexOutOfRange(operand: operand, index: Int(value), limit: limit)
        }
    }
}
