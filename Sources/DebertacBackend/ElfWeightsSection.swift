#if canImport(Glibc)
import Glibc
#endif

/// Embeds a weights image (the bytes of an external weights file: `WeightsFileHeader`, then the
/// payload) into a linked shared object as the non-allocated ELF section `.debertac_weights`,
/// without the assembler or the linker ever holding it in memory.
///
/// The new file is the linked .so unchanged, the image at the next 4096-aligned offset (copied
/// in the kernel, `copy_file_range`), then a new section-name table (the old one plus the new
/// name) and a new section header table (the old entries, the name table's entry pointing at
/// the new table, plus the weights section), with `e_shoff` and `e_shnum` patched. Program
/// headers are untouched: the section is not loaded by `ld.so`; the runtime finds it by reading
/// the section headers of its own file and maps it (`map_embedded_weights` in
/// Runtime/debertac_runtime.c). The old name and header tables stay behind as a few unused bytes.
enum ElfWeightsSection {
    /// The section's name, `DEBERTAC_WEIGHTS_SECTION` in debertac_runtime.h.
    static let name = ".debertac_weights"
    /// File alignment of the section, so that the runtime can map it at its offset.
    static let alignment = 4096

    /// Writes `linked` with the image at `image` appended as the section, to `output`.
    static func append(image: String, to linked: String, output: String) throws(BackendError) {
        var elf = try readWholeFile(linked)
        let fail = { (message: String) in BackendError.io(path: linked, message: "cannot add the weights section: \(message)") }
        guard elf.count >= 64, elf[0..<4].elementsEqual([0x7f, 0x45, 0x4c, 0x46]), elf[4] == 2, elf[5] == 1 else {
            throw fail("not a 64-bit little-endian ELF file")
        }
        let shoff = Int(load(UInt64.self, elf, 0x28))
        let shentsize = Int(load(UInt16.self, elf, 0x3A))
        let shnum = Int(load(UInt16.self, elf, 0x3C))
        let shstrndx = Int(load(UInt16.self, elf, 0x3E))
        guard shentsize == 64, shnum > 0, shnum < 0xFF00, shstrndx < shnum, shoff + shnum * 64 <= elf.count else {
            throw fail("unexpected section header table (\(shnum) entries of \(shentsize) bytes at \(shoff))")
        }
        let namesHeader = shoff + shstrndx * 64
        let namesOffset = Int(load(UInt64.self, elf, namesHeader + 24))
        let namesSize = Int(load(UInt64.self, elf, namesHeader + 32))
        guard namesOffset + namesSize <= elf.count else { throw fail("section names out of the file") }
        guard let imageSize = fileSize(image) else { throw .io(path: image, message: errnoText()) }

        // Layout of the new file.
        let sectionOffset = roundUp(elf.count, alignment)
        var names = Array(elf[namesOffset..<namesOffset + namesSize])
        let nameIndex = names.count
        names += Array(name.utf8) + [0]
        let newNamesOffset = sectionOffset + imageSize
        let newShoff = roundUp(newNamesOffset + names.count, 8)
        var headers = Array(elf[shoff..<shoff + shnum * 64])
        store(UInt64(newNamesOffset), &headers, shstrndx * 64 + 24)
        store(UInt64(names.count), &headers, shstrndx * 64 + 32)
        var section = [UInt8](repeating: 0, count: 64)
        store(UInt32(nameIndex), &section, 0)
        store(UInt32(1), &section, 4)                 // SHT_PROGBITS; flags 0: not loaded
        store(UInt64(sectionOffset), &section, 24)
        store(UInt64(imageSize), &section, 32)
        store(UInt64(alignment), &section, 48)
        headers += section
        store(UInt64(newShoff), &elf, 0x28)
        store(UInt16(shnum + 1), &elf, 0x3C)

        let writer = try BinaryFileWriter(path: output)
        try writer.write(elf)
        try writer.pad(to: alignment)
        try writer.copy(from: image, count: imageSize)
        try writer.write(names)
        try writer.pad(to: 8)
        try writer.write(headers)
        try writer.close()
        guard let written = fileSize(output), written == newShoff + headers.count else {
            throw .io(path: output, message: "the written file has an unexpected size")
        }
        if chmod(output, 0o755) != 0 { throw .io(path: output, message: errnoText()) }
    }

    private static func roundUp(_ value: Int, _ alignment: Int) -> Int { (value + alignment - 1) / alignment * alignment }

    private static func load<T: FixedWidthInteger>(_: T.Type, _ bytes: [UInt8], _ at: Int) -> T {
        var value: T = 0
        for i in 0..<MemoryLayout<T>.size { value |= T(bytes[at + i]) << (8 * i) }
        return value
    }

    private static func store<T: FixedWidthInteger>(_ value: T, _ bytes: inout [UInt8], _ at: Int) {
        for i in 0..<MemoryLayout<T>.size { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }
}
