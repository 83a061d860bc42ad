import DebertacIR

/// A tensor in host memory: a concrete shape and row-major storage of `f32` or `i32`
/// elements (the IR's two element types).
///
/// Row-major means the last dimension is contiguous: element `[i0, i1, ..., in]` sits at
/// `((i0 · d1 + i1) · d2 + ...) · dn + in`. A rank-0 tensor holds one element.
public struct HostTensor: Equatable, Sendable, CustomStringConvertible {
    /// The elements, in row-major order.
    public enum Storage: Equatable, Sendable {
        /// `f32` elements: weights and activations.
        case f32([Float])
        /// `i32` elements: token ids, masks, relative position indices.
        case i32([Int32])
    }

    /// Concrete dimensions, outermost first (all ≥ 0).
    public let shape: [Int]
    /// The elements; their count is the product of `shape`.
    public let storage: Storage

    /// A float tensor. `values.count` must equal the product of `shape`.
    public init(shape: [Int], floats values: [Float]) {
        precondition(HostTensor.count(of: shape) == values.count,
                     "shape \(shape) needs \(HostTensor.count(of: shape)) elements, got \(values.count)")
        self.shape = shape
        self.storage = .f32(values)
    }

    /// An integer tensor. `values.count` must equal the product of `shape`.
    public init(shape: [Int], ints values: [Int32]) {
        precondition(HostTensor.count(of: shape) == values.count,
                     "shape \(shape) needs \(HostTensor.count(of: shape)) elements, got \(values.count)")
        self.shape = shape
        self.storage = .i32(values)
    }

    /// A float tensor of zeros.
    public static func zeros(_ shape: [Int]) -> HostTensor {
        HostTensor(shape: shape, floats: [Float](repeating: 0, count: count(of: shape)))
    }

    /// An integer tensor from rows of equal length, shape `[rows.count, rows[0].count]`.
    public init(rows: [[Int32]]) {
        let width = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == width }, "ragged rows")
        self.init(shape: [rows.count, width], ints: rows.flatMap { $0 })
    }

    /// The element type.
    public var element: ElementType {
        switch storage {
        case .f32: .f32
        case .i32: .i32
        }
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Number of elements.
    public var count: Int { HostTensor.count(of: shape) }

    /// The float elements. The tensor must be `f32` (the verifier guarantees it for every
    /// operand the kernels read as floats).
    public var floats: [Float] {
        guard case let .f32(values) = storage else { preconditionFailure("expected an f32 tensor, found i32 \(shape)") }
        return values
    }

    /// The integer elements. The tensor must be `i32`.
    public var ints: [Int32] {
        guard case let .i32(values) = storage else { preconditionFailure("expected an i32 tensor, found f32 \(shape)") }
        return values
    }

    /// `f32[2, 3]`, for messages (never the values).
    public var description: String {
        "\(element)[" + shape.map(String.init).joined(separator: ", ") + "]"
    }

    /// The product of `shape` (1 for rank 0).
    public static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major strides of `shape`, in elements.
    public static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var stride = 1
        for axis in shape.indices.reversed() {
            strides[axis] = stride
            stride *= shape[axis]
        }
        return strides
    }
}
