/// One stored (uncompressed) member of a `ZipArchive`.
public struct ZipEntry: Hashable, Sendable {
    /// Path inside the archive, e.g. `archive/data/0` (validated UTF-8).
    public let name: String
    /// File offset of the entry's first data byte (after its local header).
    public let dataOffset: Int
    /// Size of the data in bytes.
    public let size: Int

    /// File byte range of the data; checked to lie inside the file.
    public var dataRange: Range<Int> { dataOffset..<dataOffset + size }
}

/// The central directory of a zip file, read over a `MappedFile` without copying data.
///
/// This is what PyTorch (≥ 1.6) checkpoints are: an uncompressed zip, zip64 when large,
/// whose records torch pads to 64-byte alignment through the local headers' extra field.
/// Only the stored method (0) is supported; encrypted or compressed entries are errors
/// naming the entry. Every length, count and offset read from the file is bounds-checked
/// with overflow-safe arithmetic, and errors give the file and the byte offset.
public struct ZipArchive: Sendable {
    /// The mapped zip file.
    public let file: MappedFile
    /// Entries in central-directory order.
    public let entries: [ZipEntry]
    /// Index into `entries` by name.
    private let index: [String: Int]

    /// The end-of-central-directory record is 22 bytes plus a comment of at most 65,535.
    static let maxEndRecordSearch = 22 + 65_535

    /// Whether `bytes` start like a zip file (a local file header, `PK\u{3}\u{4}`).
    public static func looksLikeZip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B && bytes[2] == 0x03 && bytes[3] == 0x04
    }

    /// Reads the central directory of `file` and the local header of every entry.
    ///
    /// Throws `CheckpointError.truncated` or `.malformed` (with the byte offset) when a
    /// structure does not fit or violates the format.
    public init(file: MappedFile) throws {
        self.file = file
        let reader = ZipReader(file: file)
        let directory = try reader.findCentralDirectory()
        var entries: [ZipEntry] = []
        entries.reserveCapacity(directory.count)
        var index: [String: Int] = [:]
        var position = directory.offset
        for _ in 0..<directory.count {
            let start = position
            let entry = try reader.readEntry(at: &position, directoryEnd: directory.end)
            guard index.updateValue(entries.count, forKey: entry.name) == nil else {
                throw CheckpointError.malformed(file: file.path, offset: start, message: "entry \(quoted(entry.name)) appears more than once")
            }
            entries.append(entry)
        }
        self.entries = entries
        self.index = index
    }

    /// The entry called `name`, if any.
    public func entry(named name: String) -> ZipEntry? {
        index[name].map { entries[$0] }
    }

    /// The entry called `name`, if any.
    public subscript(name: String) -> ZipEntry? { entry(named: name) }

    /// The entry's data (empty for an entry that is not from this archive's file).
    /// Valid while `file` is alive.
    public func data(of entry: ZipEntry) -> UnsafeRawBufferPointer {
        file.slice(offset: entry.dataOffset, count: entry.size) ?? UnsafeRawBufferPointer(start: nil, count: 0)
    }
}

/// Where the central directory is and how many entries it holds.
private struct CentralDirectory {
    var offset: Int
    var end: Int
    var count: Int
}

private let endSignature: UInt32 = 0x0605_4B50
private let zip64EndSignature: UInt32 = 0x0606_4B50
private let zip64LocatorSignature: UInt32 = 0x0706_4B50
private let centralSignature: UInt32 = 0x0201_4B50
private let localSignature: UInt32 = 0x0403_4B50

/// Bounds-checked little-endian reads of zip structures.
private struct ZipReader {
    let file: MappedFile

    var path: String { file.path }

    func malformed(_ offset: Int, _ message: String) -> CheckpointError {
        .malformed(file: path, offset: offset, message: message)
    }

    /// `count` bytes at `offset`, or `.truncated` naming `what`.
    func record(_ offset: Int, _ count: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        guard let bytes = file.slice(offset: offset, count: count) else {
            throw CheckpointError.truncated(file: path, offset: offset, what: "\(what) needs \(count) bytes, the file has \(file.size)")
        }
        return bytes
    }

    /// A 64-bit size or offset from the file, as an `Int` that can address the file.
    func int(_ value: UInt64, _ offset: Int, _ what: String) throws -> Int {
        guard let result = Int(exactly: value), result <= file.size else {
            throw malformed(offset, "\(what) \(value) exceeds the file size \(file.size)")
        }
        return result
    }

    func findCentralDirectory() throws -> CentralDirectory {
        let end = try findEndRecord()
        let record = try self.record(end, 22, "end of central directory record")
        var count = Int(record.u16(10))
        var size = UInt64(record.u32(12))
        var offset = UInt64(record.u32(16))
        var directoryLimit = end
        let saturated = record.u16(8) == 0xFFFF || record.u16(10) == 0xFFFF
            || record.u32(12) == 0xFFFF_FFFF || record.u32(16) == 0xFFFF_FFFF
        // As Python's zipfile does: when a zip64 locator precedes the record, its values win.
        if end >= 20, let locator = file.slice(offset: end - 20, count: 20), locator.u32(0) == zip64LocatorSignature {
            let zip64End = try int(locator.u64(8), end - 20 + 8, "zip64 end record offset")
            let zip64 = try self.record(zip64End, 56, "zip64 end of central directory record")
            guard zip64.u32(0) == zip64EndSignature else {
                throw malformed(zip64End, "expected a zip64 end of central directory record (signature 0x06064b50)")
            }
            guard let entryCount = Int(exactly: zip64.u64(32)), entryCount <= file.size else {
                throw malformed(zip64End + 32, "zip64 entry count \(zip64.u64(32)) is impossible for a file of \(file.size) bytes")
            }
            count = entryCount
            size = zip64.u64(40)
            offset = zip64.u64(48)
            directoryLimit = zip64End
        } else if saturated {
            throw malformed(end, "end of central directory record has zip64 markers (0xffff / 0xffffffff) but no zip64 locator precedes it")
        }
        let directoryOffset = try int(offset, end + 16, "central directory offset")
        let directorySize = try int(size, end + 12, "central directory size")
        let (directoryEnd, overflow) = directoryOffset.addingReportingOverflow(directorySize)
        guard !overflow, directoryEnd <= directoryLimit else {
            throw malformed(directoryOffset, "central directory [\(directoryOffset), +\(directorySize)) runs past its end record at byte \(directoryLimit)")
        }
        guard count <= directorySize / 46 else {
            throw malformed(end, "\(count) entries cannot fit in a central directory of \(directorySize) bytes")
        }
        return CentralDirectory(offset: directoryOffset, end: directoryEnd, count: count)
    }

    /// Offset of the end-of-central-directory record: the last signature within the final
    /// 65,557 bytes whose comment length reaches exactly the end of the file (or, failing
    /// that, fits in the file).
    func findEndRecord() throws -> Int {
        let bytes = file.bytes
        guard bytes.count >= 22 else {
            throw CheckpointError.truncated(file: path, offset: 0, what: "a zip file needs at least 22 bytes, the file has \(bytes.count)")
        }
        let lowest = max(0, bytes.count - ZipArchive.maxEndRecordSearch)
        var fallback: Int?
        var candidate = bytes.count - 22
        while candidate >= lowest {
            if bytes[candidate] == 0x50, bytes[candidate + 1] == 0x4B, bytes[candidate + 2] == 0x05, bytes[candidate + 3] == 0x06 {
                let commentEnd = candidate + 22 + Int(bytes.u16(candidate + 20))
                if commentEnd == bytes.count { return candidate }
                if commentEnd < bytes.count, fallback == nil { fallback = candidate }
            }
            candidate -= 1
        }
        if let fallback { return fallback }
        throw malformed(lowest, "no end of central directory record in the last \(bytes.count - lowest) bytes")
    }

    /// Reads the central-directory entry at `position` (advancing it) and its local header.
    func readEntry(at position: inout Int, directoryEnd: Int) throws -> ZipEntry {
        let start = position
        let header = try record(start, 46, "central directory entry")
        guard header.u32(0) == centralSignature else {
            throw malformed(start, "expected a central directory entry (signature 0x02014b50)")
        }
        let flags = header.u16(8)
        let method = header.u16(10)
        var compressedSize = UInt64(header.u32(20))
        var size = UInt64(header.u32(24))
        let nameLength = Int(header.u16(28))
        let extraLength = Int(header.u16(30))
        let commentLength = Int(header.u16(32))
        var localOffset = UInt64(header.u32(42))
        let recordLength = 46 + nameLength + extraLength + commentLength
        guard start + recordLength <= directoryEnd else {
            throw malformed(start, "central directory entry of \(recordLength) bytes runs past the directory end at byte \(directoryEnd)")
        }
        let nameBytes = try record(start + 46, nameLength, "entry name")
        guard let name = String(validating: nameBytes, as: UTF8.self) else {
            throw malformed(start + 46, "entry name is not valid UTF-8")
        }

        // Zip64 extended information: 8-byte fields, present only for saturated values,
        // in the order uncompressed size, compressed size, local header offset.
        let extraStart = start + 46 + nameLength
        let extra = try record(extraStart, extraLength, "extra field of entry \(quoted(name))")
        var field = 0
        while field + 4 <= extra.count {
            let id = extra.u16(field)
            let length = Int(extra.u16(field + 2))
            guard field + 4 + length <= extra.count else {
                throw malformed(extraStart + field, "extra field 0x\(String(id, radix: 16)) of entry \(quoted(name)) runs past the extra data")
            }
            if id == 0x0001 {
                var cursor = field + 4
                func next() throws -> UInt64 {
                    guard cursor + 8 <= field + 4 + length else {
                        throw malformed(extraStart + field, "zip64 extra field of entry \(quoted(name)) is too short for its saturated fields")
                    }
                    defer { cursor += 8 }
                    return extra.u64(cursor)
                }
                if size == 0xFFFF_FFFF { size = try next() }
                if compressedSize == 0xFFFF_FFFF { compressedSize = try next() }
                if localOffset == 0xFFFF_FFFF { localOffset = try next() }
            }
            field += 4 + length
        }

        guard flags & 1 == 0 else { throw malformed(start, "entry \(quoted(name)) is encrypted") }
        guard method == 0 else {
            throw malformed(start, "entry \(quoted(name)) uses compression method \(method); only stored (method 0) entries are supported")
        }
        guard compressedSize == size else {
            throw malformed(start, "stored entry \(quoted(name)) has compressed size \(compressedSize) but size \(size)")
        }
        let dataSize = try int(size, start + 24, "size of entry \(quoted(name))")
        let local = try int(localOffset, start + 42, "local header offset of entry \(quoted(name))")

        // The local extra field may differ from the central one: torch pads it for alignment.
        let localHeader = try record(local, 30, "local header of entry \(quoted(name))")
        guard localHeader.u32(0) == localSignature else {
            throw malformed(local, "expected the local header of entry \(quoted(name)) (signature 0x04034b50)")
        }
        let localName = try record(local + 30, Int(localHeader.u16(26)), "local name of entry \(quoted(name))")
        guard localName.elementsEqual(nameBytes) else {
            throw malformed(local + 30, "local header names \(quoted(String(decoding: localName, as: UTF8.self))), the central directory \(quoted(name))")
        }
        let dataOffset = local + 30 + Int(localHeader.u16(26)) + Int(localHeader.u16(28))
        guard file.slice(offset: dataOffset, count: dataSize) != nil else {
            throw CheckpointError.truncated(file: path, offset: dataOffset, what: "data of entry \(quoted(name)) needs \(dataSize) bytes, the file has \(file.size)")
        }
        position = start + recordLength
        return ZipEntry(name: name, dataOffset: dataOffset, size: dataSize)
    }
}

extension UnsafeRawBufferPointer {
    // Callers have checked `offset + size <= count` (fixed fields of a checked record).
    fileprivate func u16(_ offset: Int) -> UInt16 { UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
    fileprivate func u32(_ offset: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    fileprivate func u64(_ offset: Int) -> UInt64 { UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
}
