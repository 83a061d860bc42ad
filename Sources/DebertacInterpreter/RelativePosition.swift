#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// DeBERTa's relative positions: the log-bucketed distance and the `rel_pos_index` table.
///
/// Reference: transformers' `make_log_bucket_position` and `build_relative_position`
/// (modeling_deberta_v2.py), and `disentangled_attention_bias` for the `+ att_span` and clamp.
public enum RelativePosition {
    /// HF's `make_log_bucket_position` for the relative position `r = i − j`, or `r`
    /// itself when `buckets ≤ 0` (HF buckets only when `bucket_size > 0` and
    /// `max_position > 0`).
    ///
    /// With `mid = buckets / 2`: distances with `|r| ≤ mid` are kept; farther ones map to
    /// `sign(r) · (ceil(log(|r| / mid) / log((maxPosition − 1) / mid) · (mid − 1)) + mid)`.
    /// Every step is float32 as in torch: `|r| / mid` is a float32 division, the log base
    /// is `(maxPosition − 1) / mid` computed in f64 by Python and then stored in a float32
    /// tensor, and the logs are float32. Rounding matters here because `ceil` sits right on
    /// integers at some distances (e.g. `|r| = maxPosition − 1` must give `buckets − 1`).
    public static func bucket(_ r: Int, buckets: Int, maxPosition: Int) -> Int {
        guard buckets > 0, maxPosition > 0 else { return r }
        let mid = buckets / 2
        let sign = r > 0 ? 1 : (r < 0 ? -1 : 0)
        // HF substitutes mid − 1 for near distances only to keep the log finite; those
        // distances are kept as they are below.
        let absolute = (r < mid && r > -mid) ? mid - 1 : abs(r)
        if absolute <= mid { return r }
        let ratio = Float(absolute) / Float(mid)
        let base = Float(Double(maxPosition - 1) / Double(mid))
        let scaled = logf(ratio) / logf(base) * Float(mid - 1)
        let logPosition = ceilf(scaled) + Float(mid)
        return Int(logPosition) * sign
    }

    /// The `rel_pos_index` entry for query i and key j:
    /// `clamp(bucket(i − j) + span, 0, 2 · span − 1)`, a row of the `2 · span`-row relative
    /// embedding table. c2p and p2c both read it (see `Kernels.p2cScores`).
    public static func index(query i: Int, key j: Int, buckets: Int, maxPosition: Int, span: Int) -> Int {
        let shifted = bucket(i - j, buckets: buckets, maxPosition: maxPosition) + span
        return min(max(shifted, 0), 2 * span - 1)
    }

    /// `rel_pos_index() {buckets, max_position, span}` for sequence length `length`:
    /// the `[T, T]` table of `index(query:key:...)`, row-major by query.
    public static func indexTable(length: Int, buckets: Int, maxPosition: Int, span: Int) -> HostTensor {
        var table: [Int32] = []
        table.reserveCapacity(length * length)
        for i in 0..<length {
            for j in 0..<length {
                table.append(Int32(index(query: i, key: j, buckets: buckets, maxPosition: maxPosition, span: span)))
            }
        }
        return HostTensor(shape: [length, length], ints: table)
    }
}
