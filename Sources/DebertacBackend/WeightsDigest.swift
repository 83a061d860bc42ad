/// XXH64 (seed 0) of the weights payload, computed while it is written.
///
/// The compiled model stores the digest; the runtime recomputes it when it maps an external
/// weights file (`debertac__xxh64` in Runtime/debertac_runtime.c, the same algorithm) and
/// refuses a file whose contents differ. XXH64 is not cryptographic: it detects a wrong or
/// damaged file, not a forged one, and runs at memory speed so checking gigabytes at open
/// stays cheap. Reference: the xxHash specification (github.com/Cyan4973/xxHash, XXH64).
struct WeightsDigest {
    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    private var v1 = p1 &+ p2, v2 = p2, v3: UInt64 = 0, v4 = 0 &- p1
    private var pending: [UInt8] = []  // < 32 bytes not yet folded into v1...v4
    private var total: UInt64 = 0

    init() { pending.reserveCapacity(32) }

    @inline(__always) private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
    @inline(__always) private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* p2, 31) &* p1
    }
    @inline(__always) private static func merge(_ acc: UInt64, _ v: UInt64) -> UInt64 {
        (acc ^ round(0, v)) &* p1 &+ p4
    }

    /// Feeds `bytes`.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        total &+= UInt64(bytes.count)
        var p = 0
        let n = bytes.count
        if !pending.isEmpty {
            let take = min(32 - pending.count, n)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
            p = take
            if pending.count < 32 { return }
            pending.withUnsafeBytes { stripe($0.baseAddress!) }
            pending.removeAll(keepingCapacity: true)
        }
        var a = v1, b = v2, c = v3, d = v4
        while p + 32 <= n {
            let s = base + p
            a = Self.round(a, UInt64(littleEndian: s.loadUnaligned(as: UInt64.self)))
            b = Self.round(b, UInt64(littleEndian: (s + 8).loadUnaligned(as: UInt64.self)))
            c = Self.round(c, UInt64(littleEndian: (s + 16).loadUnaligned(as: UInt64.self)))
            d = Self.round(d, UInt64(littleEndian: (s + 24).loadUnaligned(as: UInt64.self)))
            p += 32
        }
        (v1, v2, v3, v4) = (a, b, c, d)
        if p < n { pending.append(contentsOf: UnsafeRawBufferPointer(start: base + p, count: n - p)) }
    }

    private mutating func stripe(_ s: UnsafeRawPointer) {
        v1 = Self.round(v1, UInt64(littleEndian: s.loadUnaligned(as: UInt64.self)))
        v2 = Self.round(v2, UInt64(littleEndian: (s + 8).loadUnaligned(as: UInt64.self)))
        v3 = Self.round(v3, UInt64(littleEndian: (s + 16).loadUnaligned(as: UInt64.self)))
        v4 = Self.round(v4, UInt64(littleEndian: (s + 24).loadUnaligned(as: UInt64.self)))
    }

    /// The digest of everything fed so far.
    func finalize() -> UInt64 {
        var h: UInt64
        if total >= 32 {
            h = Self.rotl(v1, 1) &+ Self.rotl(v2, 7) &+ Self.rotl(v3, 12) &+ Self.rotl(v4, 18)
            h = Self.merge(h, v1)
            h = Self.merge(h, v2)
            h = Self.merge(h, v3)
            h = Self.merge(h, v4)
        } else {
            h = Self.p5
        }
        h &+= total
        var p = 0
        let tail = pending
        while p + 8 <= tail.count {
            var k: UInt64 = 0
            for i in 0..<8 { k |= UInt64(tail[p + i]) << (8 * UInt64(i)) }
            h = Self.rotl(h ^ Self.round(0, k), 27) &* Self.p1 &+ Self.p4
            p += 8
        }
        if p + 4 <= tail.count {
            var k: UInt64 = 0
            for i in 0..<4 { k |= UInt64(tail[p + i]) << (8 * UInt64(i)) }
            h = Self.rotl(h ^ (k &* Self.p1), 23) &* Self.p2 &+ Self.p3
            p += 4
        }
        while p < tail.count {
            h = Self.rotl(h ^ (UInt64(tail[p]) &* Self.p5), 11) &* Self.p1
            p += 1
        }
        h ^= h >> 33
        h &*= Self.p2
        h ^= h >> 29
        h &*= Self.p3
        h ^= h >> 32
        return h
    }

    /// The digest of `bytes` alone.
    static func of(_ bytes: [UInt8]) -> UInt64 {
        var digest = WeightsDigest()
        bytes.withUnsafeBytes { digest.update($0) }
        return digest.finalize()
    }
}
