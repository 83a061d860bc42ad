#if canImport(Glibc)
import Glibc
#endif

/// The text calls of ABI version 2 (include/debertac.h): the tokenizer compiled into the .so.
extension CompiledModel {
    /// `debertac_model_has_tokenizer` (false for a version-1 .so).
    public var hasTokenizer: Bool { (api.text?.hasTokenizer(model) ?? 0) == 1 }

    /// `debertac_tokenize`: ids and token types of `text` (and `pair`), truncated to `maxLength`
    /// (0: the model's maximum sequence length).
    public func tokenize(_ text: String, pair: String? = nil, maxLength: Int = 0) throws(BackendError) -> (ids: [Int32], typeIds: [Int32]) {
        let textAPI = try requireText()
        var capacity: Int32 = 512
        while true {
            var ids = [Int32](repeating: 0, count: Int(capacity))
            var types = [Int32](repeating: 0, count: Int(capacity))
            var length: Int32 = 0
            let status = text.withCString { t in
                withOptionalCString(pair) { p in
                    textAPI.tokenize(model, t, p, Int32(clamping: maxLength), &ids, &types, capacity, &length)
                }
            }
            guard status == 0 else { throw .runtime(status: api.text(status), message: api.openError().map { String(cString: $0) } ?? "") }
            if length <= capacity { return (Array(ids.prefix(Int(length))), Array(types.prefix(Int(length)))) }
            capacity = length
        }
    }

    func requireText() throws(BackendError) -> API.TextAPI {
        guard let text = api.text else {
            throw .runtime(status: "invalid argument", message: "'\(path)' has ABI version \(abiVersion), which has no text calls (version 2 does)")
        }
        return text
    }
}

extension CompiledModel.Session {
    /// `debertac_classify_text`: logits `[B][num_labels]` of texts, each paired with `pairs[b]`
    /// when given and not nil.
    public func classify(texts: [String], pairs: [String?]? = nil) throws(BackendError) -> [[Float]] {
        let textAPI = try model.requireText()
        let labels = model.numLabels
        var logits = [Float](repeating: .nan, count: max(texts.count * labels, 1))
        let status = withCStrings(texts) { t in
            withCStrings(pairs) { p in
                textAPI.classifyText(session, Int32(clamping: texts.count), t, p, &logits)
            }
        }
        guard status == 0 else { throw .runtime(status: model.api.text(status), message: lastError) }
        return (0..<texts.count).map { Array(logits[($0 * labels)..<(($0 + 1) * labels)]) }
    }

    /// `debertac_zero_shot`: the score of each of `labels`, in their order.
    public func zeroShot(_ text: String, labels: [String], template: String? = nil,
                         multiLabel: Bool = false) throws(BackendError) -> [Float] {
        let textAPI = try model.requireText()
        var scores = [Float](repeating: .nan, count: max(labels.count, 1))
        let status = text.withCString { t in
            withCStrings(labels) { l in
                withOptionalCString(template) { h in
                    textAPI.zeroShot(session, t, Int32(clamping: labels.count), l, h, multiLabel ? 1 : 0, &scores)
                }
            }
        }
        guard status == 0 else { throw .runtime(status: model.api.text(status), message: lastError) }
        return Array(scores.prefix(labels.count))
    }
}

private func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}

/// Calls `body` with a C array of C strings (NULL entries for nil), or NULL for a nil array.
private func withCStrings<R>(_ strings: [String?]?, _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    guard let strings else { return body(nil) }
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    withCStrings(strings.map { Optional($0) }, body)
}
