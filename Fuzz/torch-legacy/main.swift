// Fuzz target: legacy `torch.save` files (`TorchLegacyReader.read`): five concatenated
// pickles, then the raw storage records. Accepted files must satisfy `checkRecords`.
@testable import DebertacFrontend

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorchLegacy(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let file = MappedFile(copying: input(data, count), path: "pytorch_model.bin")
    guard let records = try? TorchLegacyReader.read(file) else { return 0 }
    checkRecords(records, in: file, format: .torchLegacy)
    return 0
}
