@testable import DebertacFrontend
import Foundation
import Testing

/// Every checkpoint format of the same weights loads to the same fp32 tensors, bit for bit,
/// through the public loader (format detection, shards, name normalisation included).
@Suite struct FormatEquivalenceTests {
    static let formats = Fixtures.formats

    /// The weights file of a format folder: the folder itself, unless it holds an oddly named file.
    static func checkpointPath(_ format: String) -> String {
        let folder = Fixtures.format(format)
        return FileManager.default.fileExists(atPath: folder + "/weights.bin") ? folder + "/weights.bin" : folder
    }

    @Test func everyFormatIsPresent() {
        #expect(Set(Self.formats).isSuperset(of: [
            "safetensors-f32", "safetensors-f16", "safetensors-bf16", "safetensors-sharded",
            "torch-zip-f32", "torch-zip-f16", "torch-zip-bf16", "torch-zip-renamed-root", "torch-zip64",
            "torch-zip-sharded", "torch-legacy-f32", "torch-legacy-f16", "torch-zip-noncontiguous",
        ]))
    }

    @Test(arguments: formats)
    func loadsExactlyWhatTorchSaved(format: String) throws {
        let checkpoint = try Checkpoint.load(path: Self.checkpointPath(format))
        let manifest = try Fixtures.manifest(Fixtures.format(format))
        #expect(Set(checkpoint.tensors.map(\.name)) == Set(manifest.keys))
        for tensor in checkpoint.tensors {
            let entry = try #require(manifest[tensor.name])
            #expect(tensor.dtype.rawValue == entry.dtype, "\(tensor.name)")
            #expect(tensor.shape == entry.shape, "\(tensor.name)")
            if let fnv = entry.fnv {
                #expect(fnv1a64(try tensor.floats()) == fnv, "\(format): \(tensor.name)")
            }
        }
        #expect(TensorSetReport.check(checkpoint).isValid)
    }

    /// Formats that store the same precision hold the same values after conversion.
    @Test(arguments: [
        ("F32", ["safetensors-f32", "safetensors-sharded", "torch-zip-f32", "torch-zip-renamed-root", "torch-zip64",
                 "torch-zip-sharded", "torch-legacy-f32", "torch-zip-noncontiguous"]),
        ("F16", ["safetensors-f16", "torch-zip-f16", "torch-legacy-f16"]),
        ("BF16", ["safetensors-bf16", "torch-zip-bf16"]),
    ])
    func samePrecisionMeansSameValues(dtype: String, formats: [String]) throws {
        var reference: [String: String]?
        for format in formats {
            let checkpoint = try Checkpoint.load(path: Self.checkpointPath(format))
            var hashes: [String: String] = [:]
            for tensor in checkpoint.tensors where tensor.dtype.isFloatingPoint {
                #expect(tensor.dtype.rawValue == dtype)
                hashes[tensor.name] = fnv1a64(try tensor.floats())
            }
            if let reference { #expect(hashes == reference, "\(format) differs from \(formats[0])") } else { reference = hashes }
        }
    }
}
