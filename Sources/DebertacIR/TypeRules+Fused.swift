/// Type rules of the ops that passes create (`OpKind.fusedEntries`; semantics in
/// docs/ir.md and docs/passes.md).
extension TypeRules {
    static func relBucketTable(_ input: Input) throws(TypeRuleError) -> TensorType {
        TensorType([.fixed(2 * input.int("radius") + 1)], .i32)
    }

    static func concatRows(_ input: Input) throws(TypeRuleError) -> TensorType {
        let first = input.operands[0]
        guard first.rank >= 1 else { throw fail("operand 'a' has type \(first), expected rank ≥ 1") }
        var rows = 0
        for (index, operand) in input.operands.enumerated() {
            let what = ["a", "b", "c"][index]
            guard operand.element == first.element, operand.rank == first.rank,
                  Array(operand.shape.dropFirst()) == Array(first.shape.dropFirst()) else {
                throw fail("operand '\(what)' has type \(operand), expected \(first.element) with trailing dimensions \(TensorType(Array(first.shape.dropFirst()), first.element).shapeDescription)")
            }
            guard let n = operand.shape[0].staticSize else {
                throw fail("operand '\(what)' has type \(operand), expected a static first dimension")
            }
            rows += n
        }
        return TensorType([.fixed(rows)] + Array(first.shape.dropFirst()), first.element)
    }

    static func addPrefixRows(_ input: Input) throws(TypeRuleError) -> TensorType {
        let (x, table) = (input.operands[0], input.operands[1])
        try requireRank(x, 3, "x")
        try requireElement(x, .f32, "x")
        try requireRank(table, 2, "table")
        try requireElement(table, .f32, "table")
        guard x.shape[1] == .seq, table.shape[0].staticSize != nil else {
            throw fail("operands 'x' \(x) and 'table' \(table): expected x [B, T, D] and a static [N, D] table")
        }
        try requireEqual(x.shape[2], table.shape[1], "widths of 'x' and 'table' differ")
        return x
    }

    static func linearAct(_ input: Input) throws(TypeRuleError) -> TensorType {
        let name = input.attributes["activation"]?.stringValue ?? ""
        guard let kind = OpKind(rawValue: name), OpKind.activations.contains(kind) else {
            throw fail("attribute 'activation' is \"\(name)\", expected one of \(OpKind.activations.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
        }
        return try linear(input)
    }

    /// Checks `gamma`, `beta` at `index`, `index + 1` against x's last dimension.
    private static func normParameters(_ input: Input, _ x: TensorType, at index: Int) throws(TypeRuleError) {
        for (offset, what) in [(0, "gamma"), (1, "beta")] {
            let p = input.operands[index + offset]
            try requireRank(p, 1, what)
            try requireElement(p, .f32, what)
            try requireEqual(p.shape[0], x.shape[x.rank - 1], "'\(what)' length and the last dimension of 'x' differ")
        }
    }

    /// A row mask: i32 with the leading dimensions of x.
    private static func rowMask(_ mask: TensorType, of x: TensorType) throws(TypeRuleError) {
        try requireElement(mask, .i32, "mask")
        guard x.rank == mask.rank + 1, Array(x.shape.dropLast()) == mask.shape else {
            throw fail("operand 'mask' has shape \(mask.shapeDescription), expected the leading dimensions of 'x' \(x.shapeDescription)")
        }
    }

    static func addLayerNorm(_ input: Input) throws(TypeRuleError) -> TensorType {
        let (a, b) = (input.operands[0], input.operands[1])
        guard a.rank >= 1 else { throw fail("operand 'a' has type \(a), expected rank ≥ 1") }
        try requireElement(a, .f32, "a")
        guard a == b else { throw fail("operands 'a' \(a) and 'b' \(b) differ, expected the same type (no broadcasting)") }
        try normParameters(input, a, at: 2)
        if input.operands.count == 5 { try rowMask(input.operands[4], of: a) }
        return a
    }

    static func maskedLayerNorm(_ input: Input) throws(TypeRuleError) -> TensorType {
        let x = input.operands[0]
        guard x.rank >= 1 else { throw fail("operand 'x' has type \(x), expected rank ≥ 1") }
        try requireElement(x, .f32, "x")
        try normParameters(input, x, at: 1)
        try rowMask(input.operands[3], of: x)
        return x
    }

    static func disentangledAttention(_ input: Input) throws(TypeRuleError) -> TensorType {
        try attention(input, packed: false)
    }

    static func disentangledAttentionQKV(_ input: Input) throws(TypeRuleError) -> TensorType {
        try attention(input, packed: true)
    }

    /// `disentangled_attention(q, k, v, mask, ...)` and `disentangled_attention_qkv(qkv, mask, ...)`:
    /// the positional operands are `pos_key` if c2p, `pos_query` if p2c, then `rel_table`
    /// if either.
    private static func attention(_ input: Input, packed: Bool) throws(TypeRuleError) -> TensorType {
        let heads = input.int("heads"), c2p = input.int("c2p"), p2c = input.int("p2c")
        guard c2p <= 1, p2c <= 1 else { throw fail("attributes 'c2p' = \(c2p) and 'p2c' = \(p2c) must be 0 or 1") }
        let contentCount = packed ? 1 : 3
        let expected = contentCount + 1 + c2p + p2c + (c2p + p2c > 0 ? 1 : 0)
        guard input.operands.count == expected else {
            throw fail("expected \(expected) operands for c2p = \(c2p), p2c = \(p2c), found \(input.operands.count)")
        }
        let tokens: TensorType
        if packed {
            let qkv = input.operands[0]
            let width = try TypeRules.tokens(qkv, "qkv", heads: heads) * heads
            guard width % 3 == 0, (width / 3) % heads == 0 else {
                throw fail("operand 'qkv' has last dimension \(width), expected 3 · heads · head size")
            }
            tokens = TensorType([qkv.shape[0], qkv.shape[1], .fixed(width / 3)], .f32)
        } else {
            let (q, k, v) = (input.operands[0], input.operands[1], input.operands[2])
            for (t, what) in [(q, "q"), (k, "k"), (v, "v")] { _ = try TypeRules.tokens(t, what, heads: heads) }
            guard q == k, q == v else { throw fail("operands 'q' \(q), 'k' \(k) and 'v' \(v) differ in shape") }
            tokens = q
        }
        let mask = input.operands[contentCount]
        try requireElement(mask, .i32, "mask")
        guard mask.shape == [tokens.shape[0], tokens.shape[1]] else {
            throw fail("operand 'mask' has shape \(mask.shapeDescription), expected [\(tokens.shape[0]), \(tokens.shape[1])]")
        }
        var next = contentCount + 1
        var rows: Dim?
        for (used, what) in [(c2p, "pos_key"), (p2c, "pos_query")] where used == 1 {
            let pos = input.operands[next]
            next += 1
            try requireRank(pos, 2, what)
            try requireElement(pos, .f32, what)
            guard pos.staticShape != nil else { throw fail("operand '\(what)' has type \(pos), expected a static shape") }
            try requireEqual(pos.shape[1], tokens.shape[2], "width of '\(what)' and of the heads differ")
            if let rows { try requireEqual(pos.shape[0], rows, "'pos_key' and 'pos_query' row counts differ") }
            rows = pos.shape[0]
        }
        if c2p + p2c > 0 {
            let table = input.operands[next]
            try requireRank(table, 1, "rel_table")
            try requireElement(table, .i32, "rel_table")
            guard let n = table.shape[0].staticSize, n % 2 == 1 else {
                throw fail("operand 'rel_table' has type \(table), expected a static odd length 2 · radius + 1")
            }
        }
        return tokens
    }
}
