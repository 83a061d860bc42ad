import CDebertacTokenizer

/// A tokenizer ready to encode text: a tokenizer blob opened by the C encoder
/// (`Encoder/`, the same code every compiled `.so` runs), for `debertac tokenize` and
/// `debertac run` on a checkpoint folder and for the tests.
///
///     let tokenizer = try Tokenizer(model: try TokenizerModel.load(path: "ckpt")!)
///     let encoding = try tokenizer.encode("A man plays.", pair: "A person plays.", maxLength: 512)
///     // encoding.inputIds: [CLS] A [SEP] B [SEP]; encoding.tokenTypeIds: 0 … 0 1 … 1
public final class Tokenizer: @unchecked Sendable {
    /// The serialized form (docs/tokenizer.md), exactly as `debertac compile` embeds it.
    public let blob: [UInt8]
    /// An 8-byte aligned copy of `blob`, which the C view points into.
    private let storage: UnsafeMutableRawPointer
    private var view = dtok_tokenizer()

    /// How to shorten a text or pair that exceeds the maximum length (transformers' names).
    public enum Truncation: Sendable {
        /// Remove tokens from the end of the longer sequence first (`truncation=True`).
        case longestFirst
        /// Remove tokens from the end of the first sequence only (the zero-shot pipeline).
        case onlyFirst
    }

    /// One tokenized text or pair.
    public struct Encoding: Equatable, Sendable {
        /// `[CLS] A [SEP]` or `[CLS] A [SEP] B [SEP]`.
        public var inputIds: [Int32]
        /// 0 up to and including the first `[SEP]`, 1 after it.
        public var tokenTypeIds: [Int32]
    }

    /// Opens a blob; throws `TokenizationError.invalidBlob` naming what is wrong with it.
    public init(blob: [UInt8]) throws(TokenizationError) {
        self.blob = blob
        storage = UnsafeMutableRawPointer.allocate(byteCount: max(blob.count, 1), alignment: 8)
        blob.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { storage.copyMemory(from: base, byteCount: bytes.count) }
        }
        var message = [CChar](repeating: 0, count: 256)
        let status = dtok_open(&view, storage, blob.count, &message, message.count)
        guard status == Int32(DTOK_OK) else {
            // Every stored property is set: deinit frees `storage`.
            throw .invalidBlob(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    /// Serializes `model` and opens the result.
    public convenience init(model: TokenizerModel) throws {
        try self.init(blob: model.serialized())
    }

    deinit { storage.deallocate() }

    /// The `[CLS]`, `[SEP]` and `[PAD]` ids.
    public var clsId: Int32 { view.cls_id }
    public var sepId: Int32 { view.sep_id }
    public var padId: Int32 { view.pad_id }
    /// `model_max_length` of tokenizer_config.json, when it gave one that fits 32 bits.
    public var modelMaxLength: Int? { view.model_max_length > 0 ? Int(view.model_max_length) : nil }
    /// 1 + the largest id the tokenizer can produce.
    public var vocabLimit: Int { Int(view.vocab_limit) }

    /// Tokenizes `text` and, when given, `pair`, truncated to `maxLength` tokens (the special
    /// tokens included), as transformers' `tokenizer(text, pair, truncation=..., max_length=...)`.
    public func encode(_ text: String, pair: String? = nil, maxLength: Int,
                       truncation: Truncation = .longestFirst) throws(TokenizationError) -> Encoding {
        try encode(bytes: Array(text.utf8), pair: pair.map { Array($0.utf8) }, maxLength: maxLength, truncation: truncation)
    }

    /// The same on raw bytes, which need not be valid UTF-8 (invalid text is an error).
    public func encode(bytes text: [UInt8], pair: [UInt8]?, maxLength: Int,
                       truncation: Truncation = .longestFirst) throws(TokenizationError) -> Encoding {
        let strategy = truncation == .longestFirst ? Int32(DTOK_LONGEST_FIRST) : Int32(DTOK_ONLY_FIRST)
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        var capacity = 512
        var message = [CChar](repeating: 0, count: 256)
        while true {
            var ids = [Int32](repeating: 0, count: capacity)
            var types = [Int32](repeating: 0, count: capacity)
            var length: Int32 = 0
            var needed = 0
            // A terminating NUL keeps the base address non-nil for an empty text (it is not passed).
            let status = (text + [0]).withUnsafeBufferPointer { textBuffer in
                withPair(pair) { pairPointer, pairCount in
                    scratch.withUnsafeMutableBytes { scratchBuffer in
                        dtok_encode(&view, UnsafeRawPointer(textBuffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                                    text.count, pairPointer, pairCount, Int32(clamping: maxLength), strategy,
                                    scratchBuffer.baseAddress, scratchBuffer.count, &needed,
                                    &ids, &types, Int32(capacity), &length, &message, message.count)
                    }
                }
            }
            switch Int(status) {
            case Int(DTOK_OK) where Int(length) <= capacity:
                return Encoding(inputIds: Array(ids.prefix(Int(length))), tokenTypeIds: Array(types.prefix(Int(length))))
            case Int(DTOK_OK):
                capacity = Int(length)
            case Int(DTOK_NEED_SCRATCH):
                scratch = [UInt8](repeating: 0, count: needed)
            case Int(DTOK_INVALID_TEXT):
                throw .invalidText(Self.text(message))
            default:
                throw .invalidArgument(Self.text(message))
            }
        }
    }

    /// The piece text of `id` (nil for ids that are not pieces, such as an added `[MASK]`).
    public func piece(_ id: Int32) -> String? {
        var length: UInt32 = 0
        guard let p = dtok_piece(&view, id, &length) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: Int(length)), as: UTF8.self)
    }

    private static func text(_ message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Calls `body` with the pair's bytes as a C pointer and count, or (nil, 0).
private func withPair<R>(_ pair: [UInt8]?, _ body: (UnsafePointer<CChar>?, Int) -> R) -> R {
    guard let pair else { return body(nil, 0) }
    // An empty pair is still a pair: the NUL keeps its pointer non-NULL.
    return (pair + [0]).withUnsafeBufferPointer { buffer in
        body(UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self), pair.count)
    }
}

/// Why a text could not be tokenized.
public enum TokenizationError: Error, Equatable, CustomStringConvertible {
    /// The tokenizer blob is damaged (a bug or a corrupted `.so`).
    case invalidBlob(String)
    /// The text is not valid UTF-8; the message gives the byte offset.
    case invalidText(String)
    /// Arguments the tokenizer refuses, such as a maximum length below the special tokens.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .invalidBlob(message), let .invalidText(message), let .invalidArgument(message): message
        }
    }
}
