import CDebertacTokenizer

extension TokenizerModel {
    /// `tokens` (tokenizers semantics) with the strings of `normalized` ones run through the C
    /// encoder's normalizer for this model (`dtok_normalize_text`), sorted as the blob keeps them.
    /// A token whose string normalizes to nothing can never match and is dropped; when two tokens
    /// of one kind end up with the same string, the first listed wins (aho-corasick reports the
    /// lowest pattern of equal matches).
    func normalizingAddedTokens(_ tokens: [SpecialToken]) throws(TokenizerError) -> [SpecialToken] {
        var result = tokens.filter { !$0.normalized }
        let normalized = tokens.filter(\.normalized)
        if !normalized.isEmpty {
            var probe = self
            probe.specialTokens = []
            let blob = try probe.serialized()
            var view = dtok_tokenizer()
            var message = [CChar](repeating: 0, count: 256)
            var strings: [String?] = []
            let status = blob.withUnsafeBytes { raw -> Int32 in
                // The C encoder wants an 8-byte aligned blob: copy into UInt64 storage.
                var aligned = [UInt64](repeating: 0, count: (raw.count + 7) / 8)
                return aligned.withUnsafeMutableBytes { storage -> Int32 in
                    storage.copyMemory(from: raw)
                    let opened = dtok_open(&view, storage.baseAddress, raw.count, &message, message.count)
                    guard opened == DTOK_OK else { return opened }
                    for token in normalized {
                        let text = token.text.utf8.map { CChar(bitPattern: $0) } + [0]
                        var length = 0
                        var scratch = [UInt8](repeating: 0, count: 64 + 8 * text.count)
                        var code = dtok_normalize_text(&view, text, text.count - 1, &scratch, scratch.count, &length)
                        if code == DTOK_NEED_SCRATCH {
                            scratch = [UInt8](repeating: 0, count: length)
                            code = dtok_normalize_text(&view, text, text.count - 1, &scratch, scratch.count, &length)
                        }
                        strings.append(code == DTOK_OK ? String(decoding: scratch[0..<length], as: UTF8.self) : nil)
                    }
                    return opened
                }
            }
            guard status == DTOK_OK else {
                throw TokenizerError.field(file: source, field: "added_tokens", message: "cannot normalize: " + String(cString: message))
            }
            for (token, text) in zip(normalized, strings) {
                guard let text, !text.isEmpty else { continue }
                var copy = token
                copy.text = text
                result.append(copy)
            }
        }
        var seen = Set<String>()
        result = result.filter { seen.insert(($0.normalized ? "1" : "0") + $0.text).inserted }
        return result.sorted { $0.precedes($1) }
    }
}
