/// The type rule of every op, referenced from the op table in `OpKind`.
///
/// A rule sees operand types that may hold the symbols `B` and `T`; dimensions match only
/// when they are equal (`T` never matches `128`). Messages name the operand and say what
/// was expected.
enum TypeRules {
    typealias Input = TypeRuleInput

    // MARK: - Helpers

    static func fail(_ message: String) -> TypeRuleError { TypeRuleError(message) }

    static func requireRank(_ type: TensorType, _ rank: Int, _ what: String) throws(TypeRuleError) {
        guard type.rank == rank else {
            throw fail("operand '\(what)' has type \(type), expected rank \(rank)")
        }
    }

    static func requireElement(_ type: TensorType, _ element: ElementType, _ what: String) throws(TypeRuleError) {
        guard type.element == element else {
            throw fail("operand '\(what)' has type \(type), expected element type \(element)")
        }
    }

    static func requireEqual(_ a: Dim, _ b: Dim, _ what: String) throws(TypeRuleError) {
        guard a == b else { throw fail("\(what): \(a) vs \(b)") }
    }

    /// `heads` must split `width` evenly; returns the head size.
    static func headSize(_ width: Dim, heads: Int, _ what: String) throws(TypeRuleError) -> Int {
        guard let n = width.staticSize, n % heads == 0 else {
            throw fail("operand '\(what)' has last dimension \(width), expected a static multiple of heads = \(heads)")
        }
        return n / heads
    }

    // MARK: - Rules

    static func constant(_ input: Input) throws(TypeRuleError) -> TensorType {
        guard input.declared.staticShape != nil else {
            throw fail("constant type \(input.declared) must have a static shape")
        }
        return input.declared
    }

    static func unaryFloat(_ input: Input) throws(TypeRuleError) -> TensorType {
        try requireElement(input.operands[0], .f32, "x")
        return input.operands[0]
    }

    static func gather(_ input: Input) throws(TypeRuleError) -> TensorType {
        let (table, ids) = (input.operands[0], input.operands[1])
        try requireRank(table, 2, "table")
        try requireElement(table, .f32, "table")
        try requireElement(ids, .i32, "ids")
        return TensorType(ids.shape + [table.shape[1]], .f32)
    }

    static func prefixRows(_ input: Input) throws(TypeRuleError) -> TensorType {
        let table = input.operands[0]
        try requireRank(table, 2, "table")
        guard table.shape[0].staticSize != nil else { throw fail("operand 'table' must have a static row count, found \(table)") }
        return TensorType([.seq, table.shape[1]], table.element)
    }

    /// Numpy broadcasting: align trailing dimensions; equal dimensions or a static 1 combine.
    static func broadcast(_ input: Input) throws(TypeRuleError) -> TensorType {
        let (a, b) = (input.operands[0], input.operands[1])
        guard a.element == b.element else {
            throw fail("operands have element types \(a.element) and \(b.element), expected the same")
        }
        let rank = max(a.rank, b.rank)
        let pa = [Dim](repeating: .fixed(1), count: rank - a.rank) + a.shape
        let pb = [Dim](repeating: .fixed(1), count: rank - b.rank) + b.shape
        var shape: [Dim] = []
        for (x, y) in zip(pa, pb) {
            if x == y || y == .fixed(1) {
                shape.append(x)
            } else if x == .fixed(1) {
                shape.append(y)
            } else {
                throw fail("shapes \(a.shapeDescription) and \(b.shapeDescription) do not broadcast")
            }
        }
        return TensorType(shape, a.element)
    }

    static func linear(_ input: Input) throws(TypeRuleError) -> TensorType {
        let (x, w) = (input.operands[0], input.operands[1])
        guard x.rank >= 1 else { throw fail("operand 'x' has type \(x), expected rank ≥ 1") }
        try requireElement(x, .f32, "x")
        try requireRank(w, 2, "weight")
        try requireElement(w, .f32, "weight")
        guard w.staticShape != nil else { throw fail("operand 'weight' has type \(w), expected a static shape") }
        try requireEqual(x.shape[x.rank - 1], w.shape[1], "input width of 'x' and 'weight' (dimension 1) differ")
        if input.operands.count == 3 {
            let b = input.operands[2]
            try requireRank(b, 1, "bias")
            try requireElement(b, .f32, "bias")
            try requireEqual(b.shape[0], w.shape[0], "'bias' length and 'weight' output width (dimension 0) differ")
        }
        return TensorType(Array(x.shape.dropLast()) + [w.shape[0]], .f32)
    }

    static func layerNorm(_ input: Input) throws(TypeRuleError) -> TensorType {
        let x = input.operands[0]
        guard x.rank >= 1 else { throw fail("operand 'x' has type \(x), expected rank ≥ 1") }
        try requireElement(x, .f32, "x")
        for (index, what) in [(1, "gamma"), (2, "beta")] {
            let p = input.operands[index]
            try requireRank(p, 1, what)
            try requireElement(p, .f32, what)
            try requireEqual(p.shape[0], x.shape[x.rank - 1], "'\(what)' length and the last dimension of 'x' differ")
        }
        return x
    }

    static func maskRows(_ input: Input) throws(TypeRuleError) -> TensorType {
        let (x, mask) = (input.operands[0], input.operands[1])
        try requireElement(x, .f32, "x")
        try requireElement(mask, .i32, "mask")
        guard x.rank == mask.rank + 1, Array(x.shape.dropLast()) == mask.shape else {
            throw fail("operand 'mask' has shape \(mask.shapeDescription), expected the leading dimensions of 'x' \(x.shapeDescription)")
        }
        return x
    }

    static func conv1d(_ input: Input) throws(TypeRuleError) -> TensorType {
        let (x, w, b) = (input.operands[0], input.operands[1], input.operands[2])
        let groups = input.int("groups"), padding = input.int("padding")
        try requireRank(x, 3, "x")
        try requireRank(w, 3, "weight")
        try requireRank(b, 1, "bias")
        for (t, what) in [(x, "x"), (w, "weight"), (b, "bias")] { try requireElement(t, .f32, what) }
        guard let channels = x.shape[2].staticSize, let outChannels = w.shape[0].staticSize,
              let perGroup = w.shape[1].staticSize, let kernel = w.shape[2].staticSize else {
            throw fail("channel and kernel dimensions must be static")
        }
        guard channels % groups == 0, outChannels % groups == 0 else {
            throw fail("groups = \(groups) must divide input channels \(channels) and output channels \(outChannels)")
        }
        guard perGroup == channels / groups else {
            throw fail("operand 'weight' has \(perGroup) input channels per group, expected \(channels / groups)")
        }
        guard kernel == 2 * padding + 1 else {
            throw fail("kernel size \(kernel) with padding = \(padding) does not preserve the length (expected kernel \(2 * padding + 1))")
        }
        try requireEqual(b.shape[0], w.shape[0], "'bias' length and output channels differ")
        return TensorType([x.shape[0], x.shape[1], w.shape[0]], .f32)
    }

    static func sliceRows(_ input: Input) throws(TypeRuleError) -> TensorType {
        let x = input.operands[0]
        try requireRank(x, 2, "x")
        let start = input.int("start"), count = input.int("count")
        guard let rows = x.shape[0].staticSize, start + count <= rows else {
            throw fail("rows \(start) ..< \(start + count) are out of range for \(x)")
        }
        return TensorType([.fixed(count), x.shape[1]], x.element)
    }

    static func headRows(_ input: Input) throws(TypeRuleError) -> TensorType {
        let x = input.operands[0]
        try requireRank(x, 2, "x")
        let heads = input.int("heads"), part = input.int("part"), parts = input.int("parts")
        guard part < parts else { throw fail("attribute 'part' is \(part), expected less than 'parts' (\(parts))") }
        let (blocks, overflow) = heads.multipliedReportingOverflow(by: parts)
        guard !overflow, let rows = x.shape[0].staticSize, rows % blocks == 0 else {
            throw fail("operand 'x' has type \(x), expected a static row count divisible by heads · parts (\(heads) · \(parts))")
        }
        return TensorType([.fixed(rows / parts), x.shape[1]], x.element)
    }

    static func relPosIndex(_ input: Input) throws(TypeRuleError) -> TensorType {
        TensorType([.seq, .seq], .i32)
    }

    /// Shared checks of `q`/`k`-like operands: [B, T, H·D] f32.
    static func tokens(_ t: TensorType, _ what: String, heads: Int) throws(TypeRuleError) -> Int {
        try requireRank(t, 3, what)
        try requireElement(t, .f32, what)
        return try headSize(t.shape[2], heads: heads, what)
    }

    static func attentionScores(_ input: Input) throws(TypeRuleError) -> TensorType {
        let (q, k) = (input.operands[0], input.operands[1])
        let heads = input.int("heads")
        _ = try tokens(q, "q", heads: heads)
        _ = try tokens(k, "k", heads: heads)
        guard q.shape == k.shape else { throw fail("operands 'q' \(q) and 'k' \(k) differ in shape") }
        return TensorType([q.shape[0], .fixed(heads), q.shape[1], k.shape[1]], .f32)
    }

    /// `c2p_scores(q, pos_key, idx)` and `p2c_scores(k, pos_query, idx)`.
    static func relativeScores(_ input: Input) throws(TypeRuleError) -> TensorType {
        let (x, pos, idx) = (input.operands[0], input.operands[1], input.operands[2])
        let heads = input.int("heads")
        _ = try tokens(x, "content", heads: heads)
        try requireRank(pos, 2, "positions")
        try requireElement(pos, .f32, "positions")
        try requireEqual(pos.shape[1], x.shape[2], "width of the position projection and the content differ")
        try requireElement(idx, .i32, "idx")
        guard idx.shape == [x.shape[1], x.shape[1]] else {
            throw fail("operand 'idx' has shape \(idx.shapeDescription), expected [\(x.shape[1]), \(x.shape[1])]")
        }
        return TensorType([x.shape[0], .fixed(heads), x.shape[1], x.shape[1]], .f32)
    }

    static func maskedSoftmax(_ input: Input) throws(TypeRuleError) -> TensorType {
        let (s, mask) = (input.operands[0], input.operands[1])
        try requireRank(s, 4, "s")
        try requireElement(s, .f32, "s")
        try requireElement(mask, .i32, "mask")
        guard s.shape[2] == s.shape[3], mask.shape == [s.shape[0], s.shape[3]] else {
            throw fail("operand 'mask' has shape \(mask.shapeDescription), expected [\(s.shape[0]), \(s.shape[3])] for scores \(s.shapeDescription)")
        }
        return s
    }

    static func mixHeads(_ input: Input) throws(TypeRuleError) -> TensorType {
        let (s, weight) = (input.operands[0], input.operands[1])
        try requireRank(s, 4, "s")
        try requireElement(s, .f32, "s")
        try requireRank(weight, 2, "weight")
        try requireElement(weight, .f32, "weight")
        guard let heads = s.shape[1].staticSize, weight.staticShape == [heads, heads] else {
            throw fail("operand 'weight' has type \(weight), expected [H, H] for scores \(s.shapeDescription) with a static H")
        }
        return s
    }

    static func attentionContext(_ input: Input) throws(TypeRuleError) -> TensorType {
        let (p, v) = (input.operands[0], input.operands[1])
        let heads = input.int("heads")
        try requireRank(p, 4, "p")
        try requireElement(p, .f32, "p")
        _ = try tokens(v, "v", heads: heads)
        guard p.shape == [v.shape[0], .fixed(heads), v.shape[1], v.shape[1]] else {
            throw fail("operand 'p' has shape \(p.shapeDescription), expected [\(v.shape[0]), \(heads), \(v.shape[1]), \(v.shape[1])]")
        }
        return v
    }

    static func firstToken(_ input: Input) throws(TypeRuleError) -> TensorType {
        let x = input.operands[0]
        try requireRank(x, 3, "x")
        return TensorType([x.shape[0], x.shape[2]], x.element)
    }
}
