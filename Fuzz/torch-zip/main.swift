// Fuzz target: `torch.save` zip checkpoints (`TorchZipReader.read`): zip directory, the
// restricted unpickler with persistent ids, and tensor records. Accepted files must
// satisfy `checkRecords`.
@testable import DebertacFrontend

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorchZip(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let file = MappedFile(copying: input(data, count), path: "pytorch_model.bin")
    guard let records = try? TorchZipReader.read(file) else { return 0 }
    checkRecords(records, in: file, format: .torchZip)
    return 0
}
