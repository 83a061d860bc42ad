/// Indexing and data movement: `gather`, `prefix_rows`, `slice_rows`, `head_rows`, `first_token`.
extension Kernels {
    /// `gather(table, ids)`: `result[..., :] = table[ids[...], :]`, shape `ids.shape + [D]`
    /// for a `[N, D]` table. Throws if an id is outside `[0, N)`.
    static func gather(table: HostTensor, ids: HostTensor) throws(IndexOutOfRange) -> HostTensor {
        let rows = table.shape[0], width = table.shape[1]
        let indices = ids.ints
        try checkIndices(indices, limit: rows, operand: "ids")
        let t = table.floats
        var out: [Float] = []
        out.reserveCapacity(indices.count * width)
        for index in indices {
            let start = Int(index) * width
            out.append(contentsOf: t[start..<(start + width)])
        }
        return HostTensor(shape: ids.shape + [width], floats: out)
    }

    /// Rows `start ..< start + count` of the `[N, D]` tensor `x` (f32 or i32). The caller
    /// guarantees the range is inside the table (`slice_rows`' type rule, or the length check
    /// of `prefix_rows`).
    static func rows(_ x: HostTensor, start: Int, count: Int) -> HostTensor {
        let width = x.shape[1]
        let range = (start * width)..<((start + count) * width)
        switch x.storage {
        case let .f32(values): return HostTensor(shape: [count, width], floats: Array(values[range]))
        case let .i32(values): return HostTensor(shape: [count, width], ints: Array(values[range]))
        }
    }

    /// `head_rows(x)`: of the `[parts · heads · d, K]` tensor `x`, whose rows hold `parts` blocks
    /// of `d` rows per head (head 0's blocks, then head 1's, ...), block `part` of every head,
    /// stacked: `[heads · d, K]`. The type rule guarantees the row count divides.
    static func headRows(_ x: HostTensor, heads: Int, part: Int, parts: Int) -> HostTensor {
        let width = x.shape[1], d = x.shape[0] / (heads * parts)
        let values = x.floats
        var out: [Float] = []
        out.reserveCapacity(heads * d * width)
        for h in 0..<heads {
            let start = ((parts * h + part) * d) * width
            out.append(contentsOf: values[start..<(start + d * width)])
        }
        return HostTensor(shape: [heads * d, width], floats: out)
    }

    /// `first_token(x)`: `x[:, 0, :]` of a `[B, T, D]` tensor (T ≥ 1), the [CLS] position
    /// that HF's ContextPooler reads.
    static func firstToken(_ x: HostTensor) -> HostTensor {
        let batch = x.shape[0], length = x.shape[1], width = x.shape[2]
        let values = x.floats
        var out: [Float] = []
        out.reserveCapacity(batch * width)
        for b in 0..<batch {
            let start = b * length * width
            out.append(contentsOf: values[start..<(start + width)])
        }
        return HostTensor(shape: [batch, width], floats: out)
    }
}
