// Fuzz target: tokenizer.json (`JSONParser`, then `TokenizerJSONReader`: the Unigram vocabulary,
// normalizers, pre-tokenizers, post-processor, added tokens, the base64 charsmap). Accepted
// models must satisfy `checkAcceptedModel`: blob round trip, the C encoder opens the blob and
// tokenizes with it.
@testable import DebertacTokenizer

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizerJSON(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = [UInt8](input(data, count))
    guard let model = try? TokenizerJSONReader.read(bytes: bytes, path: "tokenizer.json") else { return 0 }
    checkAcceptedModel(model)
    return 0
}
