import DebertacFrontend
import Foundation

// Byte-level writers for the hostile-input catalogue: just enough of safetensors, zip and
// pickle to build well-formed files and then break exactly one thing in them.

func le16(_ value: Int) -> [UInt8] { (0..<2).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
func le64(_ value: Int) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }

/// `bytes` with `replacement` written over `offset...`.
func patched(_ bytes: [UInt8], at offset: Int, _ replacement: [UInt8]) -> [UInt8] {
    var copy = bytes
    copy.replaceSubrange(offset..<offset + replacement.count, with: replacement)
    return copy
}

/// The offset of the last occurrence of `pattern` in `bytes`.
func lastIndex(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
    guard bytes.count >= pattern.count else { return nil }
    return stride(from: bytes.count - pattern.count, through: 0, by: -1).first { bytes[$0..<$0 + pattern.count].elementsEqual(pattern) }
}

// MARK: - safetensors

/// A safetensors file: u64 header length (the real one unless `declaredLength`), header, data.
func safetensorsFile(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    safetensorsFile(header: Array(header.utf8), data: data, declaredLength: declaredLength)
}

/// A safetensors file from raw header bytes (which need not be UTF-8).
func safetensorsFile(header: [UInt8], data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    le64(declaredLength ?? UInt64(header.count)) + header + data
}

// MARK: - zip

/// A stored zip archive, optionally with zip64 sizes and offsets, and where its parts start.
struct ZipWriter {
    struct Member {
        var name: [UInt8]
        var data: [UInt8]
        var method = 0
    }

    var members: [Member] = []
    var zip64 = false

    mutating func add(_ name: String, _ data: [UInt8], method: Int = 0) {
        members.append(Member(name: Array(name.utf8), data: data, method: method))
    }

    /// Offsets of the parts of the written file.
    struct Layout {
        var localHeaders: [Int] = []
        var data: [Int] = []
        var centralEntries: [Int] = []
        var centralDirectory = 0
        var zip64EndRecord: Int?
        var endRecord = 0
    }

    func write() -> (bytes: [UInt8], layout: Layout) {
        var out: [UInt8] = []
        var central: [UInt8] = []
        var layout = Layout()
        for member in members {
            let offset = out.count
            let size = zip64 ? 0xFFFF_FFFF : member.data.count
            let extra = zip64 ? le16(1) + le16(16) + le64(member.data.count) + le64(member.data.count) : []
            layout.localHeaders.append(offset)
            out += le32(0x0403_4B50) + le16(45) + le16(0) + le16(member.method) + le16(0) + le16(0x21)
            out += le32(0) + le32(size) + le32(size) + le16(member.name.count) + le16(extra.count) + member.name + extra
            layout.data.append(out.count)
            out += member.data
            let centralExtra = zip64 ? le16(1) + le16(24) + le64(member.data.count) + le64(member.data.count) + le64(offset) : []
            layout.centralEntries.append(central.count)  // relative to the directory until it is placed
            central += le32(0x0201_4B50) + le16(45) + le16(45) + le16(0) + le16(member.method) + le16(0) + le16(0x21)
            central += le32(0) + le32(size) + le32(size) + le16(member.name.count) + le16(centralExtra.count)
            central += le16(0) + le16(0) + le16(0) + le32(0) + le32(zip64 ? 0xFFFF_FFFF : offset) + member.name + centralExtra
        }
        layout.centralDirectory = out.count
        layout.centralEntries = layout.centralEntries.map { $0 + layout.centralDirectory }
        out += central
        let count = members.count
        if zip64 {
            layout.zip64EndRecord = out.count
            out += le32(0x0606_4B50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0)
            out += le64(count) + le64(count) + le64(central.count) + le64(layout.centralDirectory)
            out += le32(0x0706_4B50) + le32(0) + le64(layout.zip64EndRecord!) + le32(1)
        }
        layout.endRecord = out.count
        out += le32(0x0605_4B50) + le16(0) + le16(0)
        out += zip64 ? le16(0xFFFF) + le16(0xFFFF) + le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF) : le16(count) + le16(count) + le32(central.count) + le32(layout.centralDirectory)
        out += le16(0)
        return (out, layout)
    }

    var bytes: [UInt8] { write().bytes }
}

// MARK: - pickle

/// Protocol-2 pickle opcodes written by hand, as `torch.save` writes them.
struct PickleWriter {
    var bytes: [UInt8] = [0x80, 0x02]  // PROTO 2

    mutating func op(_ opcodes: UInt8...) { bytes += opcodes }
    mutating func mark() { op(0x28) }
    mutating func stop() { op(0x2E) }
    mutating func global(_ module: String, _ name: String) { bytes += [0x63] + Array("\(module)\n\(name)\n".utf8) }
    /// BINUNICODE with arbitrary (possibly invalid UTF-8) bytes.
    mutating func string(_ utf8: [UInt8]) { bytes += [0x58] + le32(utf8.count) + utf8 }
    mutating func string(_ text: String) { string(Array(text.utf8)) }
    mutating func int(_ value: Int) {
        switch value {
        case 0..<256: op(0x4B, UInt8(value))
        case Int(Int32.min)...Int(Int32.max): bytes += [0x4A] + le32(value)
        default: bytes += [0x8A, 8] + le64(value)
        }
    }
    mutating func tuple(_ items: [Int]) {
        mark()
        for item in items { int(item) }
        op(0x74)
    }
    mutating func orderedDict() {
        global("collections", "OrderedDict")
        op(0x29, 0x52)  // EMPTY_TUPLE, REDUCE
    }

    /// `_rebuild_tensor_v2(('storage', torch.<storage>, key, 'cpu', numel[, None]), offset, shape, strides, False, OrderedDict())`.
    mutating func tensor(storage: String = "FloatStorage", key: String, numel: Int, offset: Int = 0,
                         shape: [Int], strides: [Int], legacy: Bool) {
        global("torch._utils", "_rebuild_tensor_v2")
        mark()
        mark()
        string("storage")
        global("torch", storage)
        string(key)
        string("cpu")
        int(numel)
        if legacy { op(0x4E) }  // view metadata None
        op(0x74, 0x51)  // TUPLE, BINPERSID
        int(offset)
        tuple(shape)
        tuple(strides)
        op(0x89)
        orderedDict()
        op(0x74, 0x52)
    }

    /// An `OrderedDict` state dict whose values each entry writes.
    static func stateDict(_ entries: [(name: [UInt8], value: (inout PickleWriter) -> Void)]) -> [UInt8] {
        var p = PickleWriter()
        p.orderedDict()
        p.mark()
        for entry in entries {
            p.string(entry.name)
            entry.value(&p)
        }
        p.op(0x75)  // SETITEMS
        p.stop()
        return p.bytes
    }

    /// A state dict of f32 tensors over storage "0" (of `numel` elements).
    static func tensors(_ specs: [(name: String, shape: [Int], strides: [Int], offset: Int)], numel: Int = 4, legacy: Bool) -> [UInt8] {
        stateDict(specs.map { spec in
            (Array(spec.name.utf8), { $0.tensor(key: "0", numel: numel, offset: spec.offset, shape: spec.shape, strides: spec.strides, legacy: legacy) })
        })
    }

    /// A whole pickle from raw opcodes after PROTO 2.
    static func raw(_ opcodes: [UInt8]) -> [UInt8] { [0x80, 0x02] + opcodes }
}

/// A torch zip checkpoint: `archive/data.pkl`, `archive/byteorder` and `archive/data/<key>`.
func torchZip(state: [UInt8], storages: [(key: String, bytes: [UInt8])] = [("0", [UInt8](repeating: 0, count: 16))]) -> [UInt8] {
    var zip = ZipWriter()
    zip.add("archive/data.pkl", state)
    zip.add("archive/byteorder", Array("little".utf8))
    for storage in storages { zip.add("archive/data/\(storage.key)", storage.bytes) }
    return zip.bytes
}

/// A legacy torch file: magic, 1001, sys_info, `state`, the key list, then the raw records
/// (an int64 element count, then the bytes).
func legacyTorch(state: [UInt8], keys: [String] = ["0"], records: [(count: Int, bytes: [UInt8])] = [(4, [UInt8](repeating: 0, count: 16))]) -> [UInt8] {
    var header = PickleWriter()
    header.op(0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19)  // LONG1 magic
    header.stop()
    var version = PickleWriter()
    version.op(0x4D, 0xE9, 0x03)  // BININT2 1001
    version.stop()
    var info = PickleWriter()
    info.op(0x7D)
    info.mark()
    info.string("little_endian")
    info.op(0x88)
    info.op(0x75)
    info.stop()
    var keyList = PickleWriter()
    keyList.op(0x5D)
    keyList.mark()
    for key in keys { keyList.string(key) }
    keyList.op(0x65)
    keyList.stop()
    return header.bytes + version.bytes + info.bytes + state + keyList.bytes + records.flatMap { le64($0.count) + $0.bytes }
}

/// File offsets where each of the first `count` concatenated pickles in `bytes` ends (just
/// after its STOP), found with the frontend's own unpickler (which executes nothing).
func pickleEnds(_ bytes: [UInt8], count: Int) throws -> [Int] {
    var ends: [Int] = []
    try bytes.withUnsafeBytes { raw in
        var start = 0
        for _ in 0..<count {
            start = try PickleMachine.unpickle(raw, from: start, file: "legacy", persistentLoad: { _, _ in
                PickleStorage(dtype: .f32, key: "x", elementCount: 0)
            }) { _, end in end }
            ends.append(start)
        }
    }
    return ends
}
