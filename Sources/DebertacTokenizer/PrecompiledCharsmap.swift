/// Structural checks of SentencePiece's `precompiled_charsmap` (`normalizer.cc`,
/// `Normalizer::DecodePrecompiledCharsMap`), so that the C encoder, which searches the trie
/// exactly as SentencePiece does, never has to rely on its own bounds checks for a blob we wrote.
///
/// Layout: a u32 little-endian trie size T, T bytes of Darts-clone double-array units (u32 LE
/// each), then the targets: NUL-terminated UTF-8 strings. A unit is
/// `has_leaf = bit 8`, `value = bits 0–30`, `label = bits 0–7 | bit 31`,
/// `offset = (unit >> 10) << ((unit & (1 << 9)) >> 6)`. A search starts at unit 0 with
/// `pos = 0 ^ offset(unit[0])`; for each input byte c, `pos ^= c`, the unit there must have
/// label c, `pos ^= offset(unit)`, and when it has a leaf, `value(unit[pos])` is the byte offset
/// of a target string (Darts-clone `commonPrefixSearch`).
enum PrecompiledCharsmap {
    /// Largest trie accepted, in bytes (2^23; SentencePiece's NFKC tables are about 0.2 MiB).
    static let maximumTrieBytes = 1 << 23
    /// Longest target string, in bytes (the C encoder's `DTOK_MAX_TARGET_BYTES`; NFKC's longest
    /// expansion is 18 UTF-8 bytes).
    static let maximumTargetBytes = 1024

    /// Throws unless `charsmap` is structurally valid: at least one unit, a trie size that is a
    /// multiple of 4 and fits, targets that end with a NUL and hold no string longer than
    /// `maximumTargetBytes`; and, from every node a search can reach, all 256 units a next byte
    /// can probe lie inside the trie, and every leaf value is the offset of a valid UTF-8 target. Errors are at byte `offset + n` of `file` when the charsmap's place in
    /// the file is known, else about `field`, at byte n of the charsmap.
    static func validate(_ charsmap: [UInt8], file: String, offset: Int?, field: String = "precompiled_charsmap") throws(TokenizerError) {
        let fail = { (at: Int, message: String) -> TokenizerError in
            if let offset { return .malformed(file: file, offset: offset + at, message: "precompiled charsmap: \(message)") }
            return .field(file: file, field: field, message: "at byte \(at) of the charsmap: \(message)")
        }
        guard charsmap.count >= 4 else { throw fail(0, "has \(charsmap.count) bytes, expected a 4-byte trie size first") }
        let trieBytes = Int(load32(charsmap, at: 0))
        guard trieBytes >= 4, trieBytes % 4 == 0 else {
            throw fail(0, "trie size \(trieBytes) is not a positive multiple of 4")
        }
        guard trieBytes <= charsmap.count - 4 else {
            throw fail(0, "trie size \(trieBytes) runs past the \(charsmap.count - 4) bytes that follow it")
        }
        guard trieBytes <= maximumTrieBytes else {
            throw fail(0, "trie size \(trieBytes) is more than the limit of \(maximumTrieBytes)")
        }
        let unitCount = trieBytes / 4
        let targetsStart = 4 + trieBytes
        let targetCount = charsmap.count - targetsStart
        guard targetCount > 0, charsmap[charsmap.count - 1] == 0 else {
            throw fail(targetsStart, "the \(targetCount) bytes of targets do not end with a NUL")
        }
        var run = 0
        for index in targetsStart..<charsmap.count {
            run = charsmap[index] == 0 ? 0 : run + 1
            guard run <= maximumTargetBytes else {
                throw fail(index, "a target is longer than the limit of \(maximumTargetBytes) bytes")
            }
        }
        let units = (0..<unitCount).map { load32(charsmap, at: 4 + 4 * $0) }
        func unitOffset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & (1 << 9)) >> 6)) }

        // Unit q is the child of base b for byte c when q ^ c == b and label(q) == c, i.e. when
        // its bit 31 is clear and b == q ^ (q's low byte). Grouping units by that base once
        // (a counting sort) makes the walk linear in the trie instead of 256 probes per node.
        // q and its base share a 256-unit block, so bases stay below the trie rounded up to blocks.
        let span = (unitCount + 255) & ~255
        var childStart = [Int32](repeating: 0, count: span + 1)
        for (q, unit) in units.enumerated() where unit & (1 << 31) == 0 {
            childStart[q ^ Int(unit & 0xFF)] += 1
        }
        var total: Int32 = 0
        for b in 0...span {
            let count = childStart[b]
            childStart[b] = total
            total += count
        }
        var children = [Int32](repeating: 0, count: Int(total))
        var fill = childStart
        for (q, unit) in units.enumerated() where unit & (1 << 31) == 0 {
            let b = q ^ Int(unit & 0xFF)
            children[Int(fill[b])] = Int32(q)
            fill[b] += 1
        }

        // Targets already checked, by offset (a target is often shared by several leaves).
        var checkedTargets = Set<Int>()
        var visited = [Bool](repeating: false, count: unitCount)
        // Nodes still to expand, as unit indices; each is pushed at most once.
        var pending = [0]
        visited[0] = true
        while let node = pending.popLast() {
            let nodeUnit = units[node]
            let base = node ^ unitOffset(nodeUnit)
            // The next input byte c probes base ^ c: the 256 units of base's aligned block.
            guard base | 0xFF < unitCount else {
                throw fail(4 + 4 * node, "unit \(node) leads to units \(base & ~0xFF)...\(base | 0xFF), past the \(unitCount)-unit trie")
            }
            if nodeUnit & (1 << 8) != 0 {
                // base ^ 0 is the leaf's value unit. (A search never asks the root, but a byte
                // may lead back to unit 0, so it is checked like every node.)
                let target = Int(units[base] & 0x7FFF_FFFF)
                if checkedTargets.insert(target).inserted {
                    try checkTarget(charsmap, start: targetsStart, count: targetCount, target: target, unit: base, fail: fail)
                }
            }
            for index in Int(childStart[base])..<Int(childStart[base + 1]) {
                let child = Int(children[index])
                if !visited[child] {
                    visited[child] = true
                    pending.append(child)
                }
            }
        }
    }

    private static func checkTarget(
        _ charsmap: [UInt8], start: Int, count: Int, target: Int, unit: Int, fail: (Int, String) -> TokenizerError
    ) throws(TokenizerError) {
        guard target < count else {
            throw fail(4 + 4 * unit, "unit \(unit) points at target byte \(target), past the \(count)-byte targets")
        }
        // The targets end with a NUL (checked first), so this stops inside them.
        var end = start + target
        while charsmap[end] != 0 { end += 1 }
        guard String(validating: charsmap[(start + target)..<end], as: UTF8.self) != nil else {
            throw fail(start + target, "target at byte \(target) of the targets is not valid UTF-8")
        }
    }

    /// The little-endian u32 at `offset` (the caller checked the bounds).
    private static func load32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}
