import DebertacInterpreter

/// DeBERTa's relative-position index as a function of `r = i − j`, computed at compile time
/// with the interpreter's `RelativePosition` (the float32 log buckets of HF, bit for bit).
enum RelativePositionTable {
    /// `table[r + radius] = clamp(bucket(r) + span, 0, 2 · span − 1)` for `r` in `−radius ... radius`
    /// (the semantics of `rel_bucket_table`; `rel_pos_index[i, j] = table[i − j + radius]`).
    static func values(radius: Int, buckets: Int, maxPosition: Int, span: Int) -> [Int32] {
        (-radius...radius).map { r in
            Int32(RelativePosition.index(query: r, key: 0, buckets: buckets, maxPosition: maxPosition, span: span))
        }
    }
}
