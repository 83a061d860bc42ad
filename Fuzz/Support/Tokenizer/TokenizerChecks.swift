// Shared by the tokenizer fuzz targets (spm-model, tokenizer-json, bpe-vocab); Fuzz/build.sh
// compiles it into those only, since it needs the DebertacTokenizer module.
@testable import DebertacTokenizer

/// Texts the C encoder tokenizes with every accepted model: typed special tokens, white space
/// runs, punctuation, case, NFKC-sensitive and unknown characters, an empty pair.
let probeTexts: [(String, String?)] = [
    ("Hello, World!  [CLS] a[MASK]b [SEP]\t", "ÉCOLE ﬁ Ａ\u{200B}x"),
    ("", ""),
    ("   ", nil),
    ("the cat sat on the mat. 42 🤗 ΣΑΣ İ", "<url> <ctl> \u{2581}x"),
]

/// Checks what the readers promise about a model they accepted: it passes `validate()`, its
/// blob is written without error, parses back to an equal model, is accepted by the C
/// encoder's `dtok_open`, and the encoder tokenizes the probe texts into `[CLS] … [SEP]` with
/// ids below the model's `vocabLimit`.
func checkAcceptedModel(_ model: TokenizerModel) {
    do {
        try model.validate()
    } catch {
        invariant(false, "accepted model fails validate(): \(error)")
    }
    let blob: [UInt8]
    do {
        blob = try model.serialized()
    } catch {
        invariant(false, "accepted model does not serialize: \(error)")
        return
    }
    do {
        let back = try TokenizerModel(blob: blob, source: model.source)
        invariant(back == model, "blob does not round-trip to an equal model")
    } catch {
        invariant(false, "serialized blob does not parse back: \(error)")
    }
    let tokenizer: Tokenizer
    do {
        tokenizer = try Tokenizer(blob: blob)
    } catch {
        invariant(false, "the C encoder rejects a blob the compiler wrote: \(error)")
        return
    }
    for (text, pair) in probeTexts {
        for maxLength in [3, 512] {
            do {
                let encoding = try tokenizer.encode(text, pair: pair, maxLength: maxLength)
                let ids = encoding.inputIds
                invariant(ids.count <= maxLength && ids.count == encoding.tokenTypeIds.count, "encoding of \(ids.count) ids for max_length \(maxLength)")
                invariant(ids.first == model.clsId && ids.last == model.sepId, "encoding does not start with [CLS] and end with [SEP]")
                invariant(ids.allSatisfy { $0 >= 0 && $0 < model.vocabLimit }, "an id outside [0, \(model.vocabLimit))")
            } catch {
                // max_length 3 cannot hold a pair's three special tokens plus anything: allowed to refuse.
                invariant(maxLength == 3 && pair != nil, "encoding \(text.debugDescription) failed: \(error)")
            }
        }
    }
}
