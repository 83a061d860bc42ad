// Fuzz target: the safetensors header parser (`SafetensorsReader.read`) on a whole file:
// u64 header length, JSON header, data section. Accepted files must satisfy `checkRecords`.
@testable import DebertacFrontend

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let file = MappedFile(copying: input(data, count), path: "model.safetensors")
    // Detection must agree with the reader about what it looks at, and never trap.
    _ = try? CheckpointFormat.detect(file)
    guard let records = try? SafetensorsReader.read(file) else { return 0 }
    checkRecords(records, in: file, format: .safetensors)
    // Sorted by data offset, and pairwise disjoint (the reader's overlap check).
    for (a, b) in zip(records, records.dropFirst()) where a.byteCount > 0 && b.byteCount > 0 {
        invariant(a.byteOffset + a.byteCount <= b.byteOffset, "tensors '\(a.name)' and '\(b.name)' overlap")
    }
    return 0
}
