// Fuzz target: vocab.json + merges.txt (`JSONParser`, then `ByteLevelBPEReader`: the vocabulary,
// the merges file's lines, the merge table, special tokens). The input is vocab.json's bytes, a
// NUL byte, then merges.txt's bytes (no NUL: all of it is vocab.json). Accepted models must
// satisfy `checkAcceptedModel`: blob round trip, the C encoder opens the blob and tokenizes
// with it (the ByteLevel pre-tokenizer and the BPE merge loop).
@testable import DebertacTokenizer

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBytePairVocabulary(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = [UInt8](input(data, count))
    let cut = bytes.firstIndex(of: 0) ?? bytes.count
    let vocab = Array(bytes[..<cut]), merges = cut < bytes.count ? Array(bytes[(cut + 1)...]) : []
    guard let model = try? ByteLevelBPEReader.read(vocab: vocab, vocabPath: "vocab.json", merges: merges, mergesPath: "merges.txt")
    else { return 0 }
    checkAcceptedModel(model)
    return 0
}
