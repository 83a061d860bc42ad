@testable import DebertacTokenizer
import DebertacFrontend
import Foundation

/// Paths of the committed tokenizer fixtures (Tests/Fixtures/tokenizers, made by
/// scripts/make_tokenizer_fixtures.py) and of what the reference libraries read from them
/// (Tests/Fixtures/tokenizer-readers, made by scripts/make_tokenizer_reader_expectations.py).
enum TokenizerFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    /// Every fixture folder that has an expectations file.
    static var names: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: root + "/tokenizer-readers")) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func folder(_ name: String) -> String { root + "/tokenizers/" + name }

    static func expectations(_ name: String) throws -> JSONValue {
        let data = try Data(contentsOf: URL(fileURLWithPath: root + "/tokenizer-readers/" + name + ".json"))
        return try JSONParser.parse([UInt8](data))
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// Writes protobuf wire format, to build SentencePiece models (valid and broken) in tests.
struct ProtobufWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ wireType: UInt8) { varint(UInt64(field) << 3 | UInt64(wireType)) }

    mutating func varintField(_ field: Int, _ value: Int64) {
        tag(field, 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func bytesField(_ field: Int, _ data: [UInt8]) {
        tag(field, 2)
        varint(UInt64(data.count))
        bytes += data
    }

    mutating func stringField(_ field: Int, _ text: String) { bytesField(field, Array(text.utf8)) }

    mutating func floatField(_ field: Int, _ value: Float) {
        tag(field, 5)
        let bits = value.bitPattern
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(i)))) }
    }
}

/// A small SentencePiece model: pieces as (text, score, type), trainer and normalizer fields.
struct SPMBuilder {
    var pieces: [(String, Float, Int)] = [
        ("[PAD]", 0, 3), ("[CLS]", 0, 3), ("[SEP]", 0, 3), ("[UNK]", 0, 2),
        ("▁", -2, 1), ("▁a", -3, 1), ("b", -4, 1), ("▁ab", -5, 1), ("c", -6, 1),
    ]
    var modelType: Int64?
    var byteFallback = false
    var charsmap: [UInt8]?
    var addDummyPrefix: Bool?

    /// The `<0xNN>` pieces, for byte-fallback models.
    static let bytePieces: [(String, Float, Int)] = (0..<256).map { ("<0x\(hex2(UInt8($0)))>", 0, 6) }

    var bytes: [UInt8] {
        var model = ProtobufWriter()
        for (text, score, type) in pieces {
            var piece = ProtobufWriter()
            piece.stringField(1, text)
            piece.floatField(2, score)
            if type != 1 { piece.varintField(3, Int64(type)) }
            model.bytesField(1, piece.bytes)
        }
        var trainer = ProtobufWriter()
        if let modelType { trainer.varintField(3, modelType) }
        trainer.varintField(4, Int64(pieces.count))
        if byteFallback { trainer.varintField(35, 1) }
        trainer.varintField(40, 3)
        trainer.varintField(43, -1)
        trainer.stringField(45, "[UNK]")
        model.bytesField(2, trainer.bytes)
        var normalizer = ProtobufWriter()
        normalizer.stringField(1, charsmap == nil ? "identity" : "custom")
        if let charsmap { normalizer.bytesField(2, charsmap) }
        if let addDummyPrefix { normalizer.varintField(3, addDummyPrefix ? 1 : 0) }
        model.bytesField(3, normalizer.bytes)
        return model.bytes
    }

    func read(config: TokenizerConfig = TokenizerConfig()) throws(TokenizerError) -> TokenizerModel {
        try SentencePieceModelReader.read(bytes: bytes, path: "spm.model", config: config)
    }
}

/// A fresh directory under the system temporary folder, removed when the value is dropped.
final class ScratchFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "debertac-tokenizer-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name))
    }

    func write(_ name: String, _ text: String) throws { try write(name, Array(text.utf8)) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The error `body` throws, as a TokenizerError (nil when it throws nothing or something else).
func tokenizerError(_ body: () throws -> Void) -> TokenizerError? {
    do {
        try body()
        return nil
    } catch {
        return error as? TokenizerError
    }
}
