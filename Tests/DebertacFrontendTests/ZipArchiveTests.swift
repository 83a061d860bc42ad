@testable import DebertacFrontend
import Testing

/// Writes small zip files for tests: stored members, optional torch-style 64-byte alignment
/// (padding in the local extra field only), optional zip64 records with saturated fields.
struct ZipBuilder {
    struct Member {
        var name: String
        var data: [UInt8]
        var method: UInt16 = 0
        var nameBytes: [UInt8]? = nil  // overrides `name` (for invalid UTF-8)
    }

    var members: [Member] = []
    var align64 = true
    var zip64 = false
    var comment: [UInt8] = []

    mutating func add(_ name: String, _ data: [UInt8], method: UInt16 = 0) {
        members.append(Member(name: name, data: data, method: method))
    }

    static func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
    static func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    static func le64(_ value: Int) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        let saturated32 = zip64 ? 0xFFFF_FFFF : nil
        for member in members {
            let name = member.nameBytes ?? Array(member.name.utf8)
            let offset = out.count
            var extra: [UInt8] = []
            if align64 {
                let pad = (64 - (offset + 30 + name.count + 4) % 64) % 64
                extra = ZipBuilder.le16(0x4246) + ZipBuilder.le16(pad) + [UInt8](repeating: 0x5A, count: pad)
            }
            let size = saturated32 ?? member.data.count
            out += ZipBuilder.le32(0x0403_4B50) + ZipBuilder.le16(20) + ZipBuilder.le16(0) + ZipBuilder.le16(Int(member.method))
            out += ZipBuilder.le16(0) + ZipBuilder.le16(0) + ZipBuilder.le32(0) + ZipBuilder.le32(size) + ZipBuilder.le32(size)
            out += ZipBuilder.le16(name.count) + ZipBuilder.le16(extra.count) + name + extra + member.data
            let centralExtra = zip64
                ? ZipBuilder.le16(1) + ZipBuilder.le16(24) + ZipBuilder.le64(member.data.count) + ZipBuilder.le64(member.data.count) + ZipBuilder.le64(offset)
                : []
            central += ZipBuilder.le32(0x0201_4B50) + ZipBuilder.le16(45) + ZipBuilder.le16(45) + ZipBuilder.le16(0) + ZipBuilder.le16(Int(member.method))
            central += ZipBuilder.le16(0) + ZipBuilder.le16(0) + ZipBuilder.le32(0) + ZipBuilder.le32(size) + ZipBuilder.le32(size)
            central += ZipBuilder.le16(name.count) + ZipBuilder.le16(centralExtra.count) + ZipBuilder.le16(0) + ZipBuilder.le16(0)
            central += ZipBuilder.le16(0) + ZipBuilder.le32(0) + ZipBuilder.le32(saturated32 ?? offset) + name + centralExtra
        }
        let centralOffset = out.count
        out += central
        if zip64 {
            let zip64End = out.count
            out += ZipBuilder.le32(0x0606_4B50) + ZipBuilder.le64(44) + ZipBuilder.le16(45) + ZipBuilder.le16(45) + ZipBuilder.le32(0) + ZipBuilder.le32(0)
            out += ZipBuilder.le64(members.count) + ZipBuilder.le64(members.count) + ZipBuilder.le64(central.count) + ZipBuilder.le64(centralOffset)
            out += ZipBuilder.le32(0x0706_4B50) + ZipBuilder.le32(0) + ZipBuilder.le64(zip64End) + ZipBuilder.le32(1)
            out += ZipBuilder.le32(0x0605_4B50) + ZipBuilder.le16(0) + ZipBuilder.le16(0) + ZipBuilder.le16(0xFFFF) + ZipBuilder.le16(0xFFFF)
            out += ZipBuilder.le32(0xFFFF_FFFF) + ZipBuilder.le32(0xFFFF_FFFF)
        } else {
            out += ZipBuilder.le32(0x0605_4B50) + ZipBuilder.le16(0) + ZipBuilder.le16(0) + ZipBuilder.le16(members.count) + ZipBuilder.le16(members.count)
            out += ZipBuilder.le32(central.count) + ZipBuilder.le32(centralOffset)
        }
        out += ZipBuilder.le16(comment.count) + comment
        return out
    }
}

@Suite struct ZipArchiveTests {
    func open(_ bytes: [UInt8]) throws -> (ScratchDirectory, ZipArchive) {
        let dir = try ScratchDirectory()
        let path = try dir.write("test.zip", bytes)
        return (dir, try ZipArchive(file: MappedFile(path: path)))
    }

    func failure(_ bytes: [UInt8]) -> CheckpointError? {
        do {
            _ = try open(bytes)
            Issue.record("expected the zip to be rejected")
        } catch let error as CheckpointError {
            return error
        } catch {
            Issue.record("untyped error \(error)")
        }
        return nil
    }

    var sample: ZipBuilder {
        var zip = ZipBuilder()
        zip.add("archive/data.pkl", Array("pickle".utf8))
        zip.add("archive/data/0", (0..<100).map { UInt8($0) })
        zip.add("archive/empty", [])
        return zip
    }

    @Test(arguments: [false, true])
    func readsEntriesAndAlignedData(zip64: Bool) throws {
        var zip = sample
        zip.zip64 = zip64
        zip.comment = Array("a comment with PK\u{5}\u{6} and more text after the signature".utf8)
        let (dir, archive) = try open(zip.bytes())
        _ = dir
        #expect(archive.entries.map(\.name) == ["archive/data.pkl", "archive/data/0", "archive/empty"])
        let data = try #require(archive["archive/data/0"])
        #expect(data.dataOffset % 64 == 0 && data.size == 100)
        #expect(Array(archive.data(of: data)) == (0..<100).map { UInt8($0) })
        #expect(Array(archive.data(of: try #require(archive.entry(named: "archive/data.pkl")))) == Array("pickle".utf8))
        #expect(archive["archive/empty"]?.size == 0)
        #expect(archive["missing"] == nil)
    }

    @Test func looksLikeZip() {
        #expect(sample.bytes().withUnsafeBytes(ZipArchive.looksLikeZip))
        #expect(![UInt8]("PK\u{5}\u{6}".utf8).withUnsafeBytes(ZipArchive.looksLikeZip))
        #expect(![UInt8]("PK".utf8).withUnsafeBytes(ZipArchive.looksLikeZip))
    }

    @Test func truncatedEndRecord() {
        let bytes = sample.bytes()
        guard case .malformed? = failure(Array(bytes.dropLast(10))) else { Issue.record("wrong error"); return }
        guard case .truncated? = failure(Array(bytes.prefix(12))) else { Issue.record("wrong error"); return }
        guard case .malformed? = failure([UInt8](repeating: 0, count: 100_000)) else { Issue.record("wrong error"); return }
    }

    @Test func centralDirectoryPastTheEnd() throws {
        var bytes = sample.bytes()
        let end = bytes.count - 22
        bytes.replaceSubrange(end + 16..<end + 20, with: ZipBuilder.le32(bytes.count + 100))
        guard case let .malformed(_, offset, message)? = failure(bytes) else { Issue.record("wrong error"); return }
        #expect(offset == end + 16 && message.contains("central directory offset"))
        // A size that runs into the end record is caught too.
        var sized = sample.bytes()
        sized.replaceSubrange(end + 12..<end + 16, with: ZipBuilder.le32(end))
        guard case .malformed? = failure(sized) else { Issue.record("wrong error"); return }
        // So is an entry count that cannot fit in the directory.
        var counted = sample.bytes()
        counted.replaceSubrange(end + 10..<end + 12, with: ZipBuilder.le16(60000))
        guard case .malformed? = failure(counted) else { Issue.record("wrong error"); return }
    }

    @Test func compressedEntryIsRejectedByName() throws {
        var zip = sample
        zip.add("archive/data/1", [1, 2, 3], method: 8)
        guard case let .malformed(_, _, message)? = failure(zip.bytes()) else { Issue.record("wrong error"); return }
        #expect(message.contains("'archive/data/1'") && message.contains("method 8"))
    }

    @Test func zip64MarkersWithoutLocator() throws {
        var bytes = sample.bytes()
        let end = bytes.count - 22
        bytes.replaceSubrange(end + 16..<end + 20, with: ZipBuilder.le32(0xFFFF_FFFF))
        guard case let .malformed(_, _, message)? = failure(bytes) else { Issue.record("wrong error"); return }
        #expect(message.contains("zip64"))
    }

    @Test func zip64ExtraFieldTooShort() throws {
        var zip = sample
        zip.zip64 = true
        var bytes = zip.bytes()
        // Shrink the first central entry's zip64 block length from 24 to 8 (the offset is then missing).
        let centralStart = try #require((0..<bytes.count - 4).first { bytes[$0..<$0 + 4] == [0x50, 0x4B, 0x01, 0x02] })
        let extraStart = centralStart + 46 + "archive/data.pkl".utf8.count
        bytes.replaceSubrange(extraStart + 2..<extraStart + 4, with: ZipBuilder.le16(8))
        #expect(failure(bytes) != nil)
    }

    @Test func invalidNamesAndDuplicates() throws {
        var zip = sample
        zip.members.append(.init(name: "", data: [1], nameBytes: [0x61, 0xFF, 0x62]))
        guard case let .malformed(_, _, message)? = failure(zip.bytes()) else { Issue.record("wrong error"); return }
        #expect(message.contains("UTF-8"))
        var twice = sample
        twice.add("archive/data/0", [1])
        guard case let .malformed(_, _, duplicate)? = failure(twice.bytes()) else { Issue.record("wrong error"); return }
        #expect(duplicate.contains("'archive/data/0'"))
    }

    @Test func dataPastTheEndIsRejectedByName() throws {
        let bytes = sample.bytes()
        let centralStart = try #require((0..<bytes.count - 4).first { bytes[$0..<$0 + 4] == [0x50, 0x4B, 0x01, 0x02] })
        // A size inside the file but past its end from the entry's data offset, then a size beyond the file.
        for size in [bytes.count - 10, 1 << 30] {
            var patched = bytes
            patched.replaceSubrange(centralStart + 20..<centralStart + 28, with: ZipBuilder.le32(size) + ZipBuilder.le32(size))
            let error = try #require(failure(patched))
            #expect(error.description.contains("'archive/data.pkl'"))
            if size < bytes.count {
                guard case .truncated = error else { Issue.record("wrong error \(error)"); continue }
            }
        }
    }

    /// Every truncation and many corruptions of a zip fail with a typed error, never a trap.
    @Test func truncationsAndCorruptionsNeverTrap() throws {
        var zip = sample
        zip.zip64 = true
        let bytes = zip.bytes()
        let dir = try ScratchDirectory()
        for length in stride(from: 0, to: bytes.count, by: 7) {
            let path = try dir.write("t\(length).zip", Array(bytes.prefix(length)))
            #expect(throws: CheckpointError.self) { try ZipArchive(file: MappedFile(path: path)) }
        }
        var state: UInt64 = 42
        for round in 0..<300 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var mutated = bytes
            // Corrupt the metadata (the tail), where the interesting fields live.
            let index = bytes.count - 1 - Int(state >> 33) % 300
            mutated[index] = UInt8(truncatingIfNeeded: state >> 13)
            let path = try dir.write("m\(round).zip", mutated)
            do {
                _ = try ZipArchive(file: MappedFile(path: path))
            } catch is CheckpointError {
            } catch {
                Issue.record("untyped error \(error)")
            }
        }
    }
}
