/// The byte-level BPE model of DeBERTa v1 (transformers' `DebertaTokenizer`, GPT-2's BPE): what
/// `TokenizerModel.byteLevelBPE` holds besides the vocabulary (`pieces`, in byte-to-unicode form).
public struct ByteLevelBPE: Sendable, Equatable {
    /// One merge: the pair of ids, its rank (lower merges first) and the id of the joined text.
    public struct Merge: Sendable, Equatable {
        public var left: Int32, right: Int32, merged: Int32
        public var rank: UInt32

        /// A merge of `left` and `right` into `merged` at `rank`.
        public init(left: Int32, right: Int32, merged: Int32, rank: UInt32) {
            self.left = left
            self.right = right
            self.merged = merged
            self.rank = rank
        }
    }

    /// The merges, by rank; no pair twice (a merges file that repeats a pair keeps its last rank,
    /// as the tokenizers library's merge map does).
    public var merges: [Merge]

    /// A model with these merges.
    public init(merges: [Merge]) { self.merges = merges }

    /// GPT-2's `bytes_to_unicode`: printable Latin-1 bytes stand for themselves, the other 68
    /// bytes for U+0100 onwards in byte order (tokenizers' `pre_tokenizers/byte_level.rs`).
    public static let byteToCharacter: [Character] = {
        var table = [Character](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            let scalar = printable ? UInt32(byte) : next
            if !printable { next += 1 }
            table[byte] = Character(Unicode.Scalar(scalar)!)
        }
        return table
    }()

    /// Most merges a model may have (2^22, as pieces).
    public static let maximumMerges = 4_194_304

    /// The merge table of the blob's section 2 (docs/tokenizer.md): u32 count, u32 capacity (the
    /// smallest power of two at least twice the count, at least 2), then capacity × (u32 left,
    /// u32 right, u32 rank, u32 merged), open addressing with linear probing from
    /// `slot(left, right)`, empty slots 0xFFFFFFFF. Inserted in rank order, so the table is canonical.
    func table() -> [UInt8] {
        var capacity = 2
        while capacity < 2 * merges.count { capacity *= 2 }
        var slots = [UInt32](repeating: UInt32.max, count: 4 * capacity)
        for merge in merges {
            var slot = ByteLevelBPE.slot(UInt32(bitPattern: merge.left), UInt32(bitPattern: merge.right), capacity: capacity)
            while slots[4 * slot] != UInt32.max { slot = (slot + 1) & (capacity - 1) }
            slots[4 * slot] = UInt32(bitPattern: merge.left)
            slots[4 * slot + 1] = UInt32(bitPattern: merge.right)
            slots[4 * slot + 2] = merge.rank
            slots[4 * slot + 3] = UInt32(bitPattern: merge.merged)
        }
        var out = BlobWriter()
        out.u32(UInt32(merges.count))
        out.u32(UInt32(capacity))
        for value in slots { out.u32(value) }
        return out.bytes
    }

    /// The C encoder's hash (tokenizer_byte_level.c, `merge_slot`).
    static func slot(_ left: UInt32, _ right: UInt32, capacity: Int) -> Int {
        var h = (left &* 0x9E37_79B1) ^ (right &* 0x85EB_CA77)
        h ^= h >> 15
        return Int(h & UInt32(capacity - 1))
    }

    /// Reads a merge table back (`TokenizerModel(blob:)`), sorted by rank; nil when it is not one
    /// (the canonical comparison then names the difference).
    static func parse(table bytes: ArraySlice<UInt8>) -> ByteLevelBPE? {
        let b = Array(bytes)
        guard b.count >= 8 else { return nil }
        func u32(_ at: Int) -> UInt32 { UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24 }
        let capacity = Int(u32(4))
        guard capacity > 0, capacity <= 2 * maximumMerges + 2, b.count == 8 + 16 * capacity else { return nil }
        var merges: [Merge] = []
        for slot in 0..<capacity where u32(8 + 16 * slot) != UInt32.max {
            let at = 8 + 16 * slot
            merges.append(Merge(left: Int32(bitPattern: u32(at)), right: Int32(bitPattern: u32(at + 4)),
                                merged: Int32(bitPattern: u32(at + 12)), rank: u32(at + 8)))
        }
        merges.sort { $0.rank < $1.rank }
        return ByteLevelBPE(merges: merges)
    }

    /// The blob's byte pieces: the id of each byte's character, −1 when the vocabulary lacks it
    /// (the model then drops that byte, having no unk_token).
    static func bytePieces(of pieces: [TokenizerModel.Piece]) -> [Int32] {
        var ids: [String: Int32] = [:]
        for (id, piece) in pieces.enumerated() where piece.text.unicodeScalars.count == 1 { ids[piece.text] = Int32(id) }
        return byteToCharacter.map { ids[String($0)] ?? -1 }
    }
}
