// Fuzz target: SentencePiece models (`SentencePieceModelReader.read`: the protobuf reader, the
// piece rules, the charsmap walk, transformers' special-token ids). Accepted models must satisfy
// `checkAcceptedModel`: blob round trip, the C encoder opens the blob and tokenizes with it.
@testable import DebertacTokenizer

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpmModel(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = [UInt8](input(data, count))
    guard let model = try? SentencePieceModelReader.read(bytes: bytes, path: "spm.model") else { return 0 }
    checkAcceptedModel(model)
    return 0
}
