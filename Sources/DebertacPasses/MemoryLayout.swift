/// Offsets of a `MemoryPlan`'s buffers in one arena, for a session's maximum batch and
/// length: the pure, deterministic function the C runtime ports (docs/passes.md gives
/// the same algorithm in prose; keep the two in step).
public struct MemoryLayout: Sendable, Equatable {
    /// The alignment of every slot offset and slot size, in bytes.
    public static let alignment = 64

    /// Byte offset of each group's slot, indexed by group.
    public let groupOffsets: [Int]
    /// Size of each group's slot: its largest member at the maxima, unaligned.
    public let groupSizes: [Int]
    /// Byte offset of each buffer (its group's offset), in plan order.
    public let offsets: [Int]
    /// Bytes the arena needs: the end of the highest slot, a multiple of 64.
    public let arenaBytes: Int
    /// The largest total of bytes simultaneously live at any op (unaligned group sizes):
    /// no layout of this plan can use less.
    public let lowerBoundBytes: Int
}

extension MemoryPlan {
    /// Lays the plan out for `maxBatch` and `maxLength`: greedy by size, first fit.
    ///
    /// 1. Each group g has size `s_g` = the largest `size(batch:length:)` of its members,
    ///    an aligned size `a_g` = `s_g` rounded up to a multiple of 64, and a live interval
    ///    `[first_g, last_g]` = the smallest `firstOp` to the largest `lastOp` of its members.
    /// 2. Groups are placed in order of `a_g` descending, then `first_g` ascending, then g
    ///    ascending.
    /// 3. To place g, take the already placed groups whose intervals intersect g's
    ///    (`first_h ≤ last_g` and `first_g ≤ last_h`), sorted by offset ascending (then by
    ///    group number). Start with candidate offset 0; for each such h in that order, if
    ///    `offset_h ≥ candidate + a_g` stop (g fits in the gap below h); otherwise set
    ///    candidate to `max(candidate, offset_h + a_h)`. g goes at the candidate.
    /// 4. The arena size is the largest `offset_g + a_g` (0 without groups).
    ///
    /// Every offset is a multiple of 64 because every aligned size is.
    public func layout(maxBatch: Int, maxLength: Int) -> MemoryLayout {
        let count = groupCount
        var sizes = [Int](repeating: 0, count: count)
        var first = [Int](repeating: Int.max, count: count)
        var last = [Int](repeating: Int.min, count: count)
        for buffer in buffers {
            let g = buffer.group
            sizes[g] = max(sizes[g], buffer.size(batch: maxBatch, length: maxLength))
            first[g] = min(first[g], buffer.firstOp)
            last[g] = max(last[g], buffer.lastOp)
        }
        let alignment = MemoryLayout.alignment
        let aligned = sizes.map { ($0 + alignment - 1) / alignment * alignment }
        let order = (0..<count).sorted { a, b in
            if aligned[a] != aligned[b] { return aligned[a] > aligned[b] }
            if first[a] != first[b] { return first[a] < first[b] }
            return a < b
        }
        var offsets = [Int](repeating: 0, count: count)
        var placed: [Int] = []
        var arena = 0
        for g in order {
            let overlapping = placed.filter { h in first[h] <= last[g] && first[g] <= last[h] }
                .sorted { offsets[$0] != offsets[$1] ? offsets[$0] < offsets[$1] : $0 < $1 }
            var candidate = 0
            for h in overlapping {
                if offsets[h] >= candidate + aligned[g] { break }
                candidate = max(candidate, offsets[h] + aligned[h])
            }
            offsets[g] = candidate
            placed.append(g)
            arena = max(arena, candidate + aligned[g])
        }
        return MemoryLayout(groupOffsets: offsets, groupSizes: sizes, offsets: buffers.map { offsets[$0.group] },
                            arenaBytes: arena, lowerBoundBytes: lowerBound(sizes: sizes, first: first, last: last))
    }

    /// The largest sum of `sizes[g]` over groups live at one program index.
    private func lowerBound(sizes: [Int], first: [Int], last: [Int]) -> Int {
        var delta = [Int](repeating: 0, count: opCount + 2)
        for g in sizes.indices where first[g] <= last[g] {
            delta[first[g]] += sizes[g]
            delta[last[g] + 1] -= sizes[g]
        }
        var live = 0, peak = 0
        for d in delta {
            live += d
            peak = max(peak, live)
        }
        return peak
    }
}
