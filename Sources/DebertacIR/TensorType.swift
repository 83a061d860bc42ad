/// One dimension of a tensor type: a static size, or one of the two symbols that a
/// compiled model leaves open until it runs.
///
/// `B` (batch) and `T` (sequence length) are the only symbols: one compiled model serves
/// any batch size and any length up to its maximum. Two dimensions are equal only if
/// they are the same static size or the same symbol; there is no unification.
public enum Dim: Hashable, Sendable, CustomStringConvertible {
    /// A size known at compile time (≥ 0).
    case fixed(Int)
    /// The batch size `B`.
    case batch
    /// The sequence length `T`.
    case seq

    /// The static size, or nil for a symbol.
    public var staticSize: Int? {
        if case let .fixed(n) = self { return n }
        return nil
    }

    /// `B`, `T`, or the decimal size, as written in the textual IR.
    public var description: String {
        switch self {
        case let .fixed(n): String(n)
        case .batch: "B"
        case .seq: "T"
        }
    }
}

/// Element type of a tensor. Weights and activations are f32; token ids, masks and
/// relative position indices are i32.
public enum ElementType: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// IEEE-754 binary32.
    case f32
    /// Two's-complement 32-bit integer.
    case i32

    /// `f32` or `i32`.
    public var description: String { rawValue }
}

/// The type of every IR value: a row-major tensor with an element type and a shape,
/// outermost dimension first. Written `tensor<Bx4xTxTxf32>`; a rank-0 tensor is `tensor<f32>`.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
    /// Dimensions, outermost first.
    public var shape: [Dim]
    /// Element type.
    public var element: ElementType

    /// A tensor type from its dimensions and element type.
    public init(_ shape: [Dim], _ element: ElementType = .f32) {
        self.shape = shape
        self.element = element
    }

    /// A tensor type whose dimensions are all static (e.g. a weight's).
    public init(staticShape: [Int], _ element: ElementType = .f32) {
        self.init(staticShape.map(Dim.fixed), element)
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// The dimensions as static sizes, or nil when a symbol occurs.
    public var staticShape: [Int]? {
        var sizes: [Int] = []
        for dim in shape {
            guard let n = dim.staticSize else { return nil }
            sizes.append(n)
        }
        return sizes
    }

    /// The same shape with another element type.
    public func with(element: ElementType) -> TensorType { TensorType(shape, element) }

    /// The textual form, e.g. `tensor<BxTx768xf32>`.
    public var description: String {
        let parts = shape.map(\.description) + [element.description]
        return "tensor<" + parts.joined(separator: "x") + ">"
    }

    /// The shape alone, e.g. `[B, T, 768]`, for messages.
    public var shapeDescription: String {
        "[" + shape.map(\.description).joined(separator: ", ") + "]"
    }
}
