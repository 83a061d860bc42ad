@testable import DebertacBackend
import DebertacFrontend
import DebertacRuntime
import Foundation
import Testing

/// Embedded weights as the ELF section `.debertac_weights` (ElfWeightsSection.swift): where it
/// is in the file, what the runtime does with a damaged or missing one, and that `strip` and a
/// symlinked path keep the model loadable.
@Suite struct WeightsSectionTests {
    static let fixture = "models/xxlarge-toy"

    /// The section's row of `readelf -SW`, split into fields after the name.
    struct Row {
        let type: String, offset: Int, size: Int, flags: String, alignment: Int
    }

    func row(_ path: String) throws -> Row? {
        let text = try Tools.check(["readelf", "-SW", path])
        guard let line = text.split(separator: "\n").first(where: { $0.contains(" .debertac_weights ") }) else { return nil }
        // "  [30] .debertac_weights PROGBITS 0000000000000000 043000 2e21c440 00      0   0 4096"
        let tail = line.split(separator: "]", maxSplits: 1)[1].split(separator: " ").map(String.init)
        let numbers = tail.dropFirst(2)   // name, type
        // Address, Off, Size, ES, [Flg], Lk, Inf, Al: flags are absent when none.
        let flags = numbers.count == 8 ? numbers[numbers.startIndex + 4] : ""
        return Row(type: tail[1], offset: Int(numbers[numbers.startIndex + 1], radix: 16) ?? -1,
                   size: Int(numbers[numbers.startIndex + 2], radix: 16) ?? -1, flags: flags,
                   alignment: Int(numbers.last ?? "") ?? -1)
    }

    /// A copy of the embedded .so under a new name in a fresh folder (dlopen caches by path).
    func copy(_ name: String) async throws -> String {
        let source = try await CompiledArtifacts.shared.library(Self.fixture, .embedded)
        let path = try BackendFixtures.freshDirectory("section-" + name) + "/nli-\(name).so"
        try FileManager.default.copyItem(atPath: source, toPath: path)
        return path
    }

    func openError(_ path: String) -> String? {
        do {
            _ = try CompiledModel(path: path)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("the .so holds the weights image in a non-allocated, page-aligned section")
    func section() async throws {
        let path = try await CompiledArtifacts.shared.library(Self.fixture, .embedded)
        let row = try #require(try row(path))
        #expect(row.type == "PROGBITS")
        #expect(!row.flags.contains("A"), "not loaded by ld.so")
        #expect(row.offset % 4096 == 0 && row.alignment == 4096)
        let model = try CompiledModel(path: path)
        let bytes = try #require(JSONParser.parse(Array(model.info.utf8))["weights"]?["bytes"]?.intValue)
        #expect(row.size == WeightsFileHeader.payloadOffset + bytes)
        // The section starts with the header of an external weights file.
        let file = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Array(file[row.offset..<row.offset + 16]) == WeightsFileHeader.magic)
        #expect(file.count > row.offset + row.size, "the section header table follows the section")
    }

    @Test("a damaged payload, a damaged header or a truncated file is refused at open")
    func damaged() async throws {
        let reference = try #require(try row(try await CompiledArtifacts.shared.library(Self.fixture, .embedded)))
        // One flipped payload byte: the digest check.
        let flipped = try await copy("flipped")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: flipped)))
        bytes[reference.offset + WeightsFileHeader.payloadOffset + 100] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: flipped))
        let payload = try #require(openError(flipped))
        #expect(payload.contains("embedded weights") && payload.contains("do not match their digest"), "\(payload)")
        // A damaged header magic.
        let header = try await copy("header")
        bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: header)))
        bytes[reference.offset] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: header))
        let magic = try #require(openError(header))
        #expect(magic.contains("not a debertac weights file"), "\(magic)")
        // Cut inside the payload: the section header table at the end is gone.
        let truncated = try await copy("truncated")
        #expect(truncate(truncated, off_t(reference.offset + reference.size / 2)) == 0)
        let cut = try #require(openError(truncated))
        #expect(cut.contains("embedded weights") && cut.contains("truncated"), "\(cut)")
    }

    @Test("strip keeps the section; a symlinked path and two opens of one model work")
    func stripAndSymlink() async throws {
        let stripped = try await copy("stripped")
        _ = try Tools.check(["strip", stripped])
        let row = try #require(try row(stripped))
        #expect(row.offset % 4096 == 0)
        let batch = try Golden.load(Self.fixture).batches[1]
        let reference = try CompiledModel(path: try await CompiledArtifacts.shared.library(Self.fixture, .embedded))
        let expected = try reference.makeSession(maxBatch: 3, maxLength: 24).classify(ids: batch.inputIds, mask: batch.attentionMask).map(\.logits)
        let model = try CompiledModel(path: stripped)
        #expect(try model.makeSession(maxBatch: 3, maxLength: 24).classify(ids: batch.inputIds, mask: batch.attentionMask).map(\.logits) == expected)

        let target = try await copy("linked")
        let link = (target as NSString).deletingLastPathComponent + "/alias.so"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let first = try CompiledModel(path: link)
        let second = try CompiledModel(path: link)
        #expect(try first.makeSession(maxBatch: 3, maxLength: 24).classify(ids: batch.inputIds, mask: batch.attentionMask).map(\.logits) == expected)
        #expect(try second.makeSession(maxBatch: 3, maxLength: 24).classify(ids: batch.inputIds, mask: batch.attentionMask).map(\.logits) == expected)
    }

    @Test("a section appended to a file that is not ELF is refused with a clear error")
    func notElf() throws {
        let dir = try BackendFixtures.freshDirectory("section-not-elf")
        try Data("not an elf file".utf8).write(to: URL(fileURLWithPath: dir + "/code.so"))
        try Data(WeightsFileHeader(payloadSize: 0, digest: 0).bytes).write(to: URL(fileURLWithPath: dir + "/image"))
        #expect {
            try ElfWeightsSection.append(image: dir + "/image", to: dir + "/code.so", output: dir + "/out.so")
        } throws: { "\($0)".contains("not a 64-bit little-endian ELF file") }
    }
}
