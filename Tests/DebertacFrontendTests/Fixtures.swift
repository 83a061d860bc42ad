import DebertacFrontend
import Foundation

/// Paths of the committed fixtures (see Tests/Fixtures/README.md) and scratch files.
enum Fixtures {
    /// `Tests/Fixtures`.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    /// `Tests/Fixtures/models/<variant>`: one config variant, fp32 safetensors + goldens.
    static func model(_ variant: String) -> String { root + "/models/" + variant }
    /// `Tests/Fixtures/formats/<format>`: the xxlarge-toy weights in one checkpoint format.
    static func format(_ name: String) -> String { root + "/formats/" + name }
    /// `Tests/Fixtures/hostile/<name>`: files that must be rejected.
    static func hostile(_ name: String) -> String { root + "/hostile/" + name }

    /// Every config variant directory name under `models/`.
    static var modelVariants: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/models")) ?? []).sorted()
    }

    /// Every format directory name under `formats/`.
    static var formats: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/formats")) ?? []).sorted()
    }

    /// The `tensors.json` manifest of a fixture folder: name → (dtype, shape, fnv1a64 of the fp32 bytes).
    static func manifest(_ folder: String) throws -> [String: (dtype: String, shape: [Int], fnv: String?)] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/tensors.json"))
        let json = try JSONParser.parse([UInt8](data))
        var result: [String: (String, [Int], String?)] = [:]
        for (name, entry) in json["tensors"]?.objectValue ?? [] {
            result[name] = (entry["dtype"]?.stringValue ?? "", entry["shape"]?.arrayValue?.compactMap(\.intValue) ?? [], entry["fnv1a64"]?.stringValue)
        }
        return result
    }
}

/// FNV-1a 64 of the little-endian bytes of `values`, as 16 lowercase hex digits
/// (the hash scripts/make_fixtures.py writes into tensors.json).
func fnv1a64(_ values: [Float]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for value in values {
        var bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { bytes in
            for byte in bytes {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
        }
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

/// A fresh directory under the system temporary folder, removed when the value is dropped.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "debertac-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `name` inside the directory and returns the full path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// Writes UTF-8 `text` to `name` inside the directory and returns the full path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, Array(text.utf8))
    }
}
