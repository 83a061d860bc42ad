// Fuzz target: the zip / zip64 central-directory reader (`ZipArchive`). Every entry it
// accepts must lie inside the file, and reading its data touches exactly those bytes.
@testable import DebertacFrontend

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZip(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let file = MappedFile(copying: input(data, count), path: "archive.zip")
    guard let archive = try? ZipArchive(file: file) else { return 0 }
    var names = Set<String>()
    for entry in archive.entries {
        invariant(names.insert(entry.name).inserted, "entry '\(entry.name)' accepted twice")
        invariant(entry.dataOffset >= 0 && entry.size >= 0, "entry '\(entry.name)' has a negative offset or size")
        let (end, overflow) = entry.dataOffset.addingReportingOverflow(entry.size)
        invariant(!overflow && end <= file.size, "entry '\(entry.name)' data [\(entry.dataOffset), +\(entry.size)) outside the \(file.size)-byte file")
        invariant(archive[entry.name] == entry, "lookup of '\(entry.name)' differs")
        let bytes = archive.data(of: entry)
        invariant(bytes.count == entry.size, "data of '\(entry.name)' has \(bytes.count) bytes, expected \(entry.size)")
        // Touch the first and last byte so that AddressSanitizer checks the range.
        if let first = bytes.first, let last = bytes.last { sink ^= first ^ last }
    }
    return 0
}
