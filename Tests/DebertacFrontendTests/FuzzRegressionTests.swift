@testable import DebertacFrontend
import Foundation
import Testing

/// Inputs that fuzzing and the hostile-input review found crashing, hanging or slipping
/// through the frontend (docs/security.md). Each input is also kept under
/// `Fuzz/regressions/<target>/`, where `scripts/fuzz.sh` replays it.
@Suite struct FuzzRegressionTests {
    /// A one-tensor legacy file: f32 storage "0" of 4 elements, tensor `w` with `shape` and `strides`.
    static func legacy(_ tensors: [(name: String, shape: [Int], strides: [Int])]) -> [UInt8] {
        let state = PickleBuilder.stateDict(tensors.map { tensor in
            (tensor.name, { $0.tensor(key: "0", numel: 4, shape: tensor.shape, strides: tensor.strides, legacy: true) })
        })
        return legacyFile(state: state, keys: ["0"], records: [(4, storageBytes([1, 2, 3, 4], .f32))])
    }

    func read(_ bytes: [UInt8]) throws -> [TensorRecord] {
        try bytes.withUnsafeBytes { try TorchLegacyReader.read(MappedFile(copying: $0, path: "model.bin")) }
    }

    /// `(2 − 1) · (2^61 − 1) · 4 + 4` wraps to Int.min: the end of the tensor's reach used to
    /// be computed with `&+`, so the tensor was accepted and conversion read far outside the
    /// file. (Fuzz/regressions/torch-legacy/stride-reach-wraps-past-int64.bin)
    @Test func strideReachThatWrapsIsRejected() throws {
        #expect {
            _ = try read(Self.legacy([("w", [2], [(1 << 61) - 1])]))
        } throws: { error in
            guard case let .tensorOutOfBounds(_, tensor, message) = error as? CheckpointError else { return false }
            return tensor == "w" && message.contains("fall outside their storage")
        }
    }

    /// Stride 0 lets 2^62 f32 elements sit on one element of storage; their byte size,
    /// which `debertac inspect` prints, overflowed and trapped.
    /// (Fuzz/regressions/torch-legacy/stride0-byte-size-overflows.bin)
    @Test func elementCountWhoseByteSizeOverflowsIsRejected() throws {
        #expect {
            _ = try read(Self.legacy([("w", [1 << 62], [0])]))
        } throws: { error in
            guard case let .tensorOutOfBounds(_, tensor, message) = error as? CheckpointError else { return false }
            return tensor == "w" && message.contains("more bytes than fit in 64 bits")
        }
    }

    /// Nine such tensors of 2^62 bytes each: every one fits, their total (inspect's parameter
    /// count and byte total) did not. (Fuzz/regressions/torch-legacy/stride0-total-bytes-overflow.bin)
    @Test func totalBytesThatOverflowAreRejected() throws {
        let tensors = (0..<9).map { (name: "t\($0)", shape: [1 << 60], strides: [0]) }
        let records = try read(Self.legacy(tensors))
        #expect(records.count == 9)
        #expect {
            _ = try Checkpoint(config: DebertaConfig(), configPath: "config.json", format: .torchLegacy,
                               weightFiles: ["model.bin"], records: records)
        } throws: { error in
            guard case let .tensorOutOfBounds(_, tensor, message) = error as? CheckpointError else { return false }
            return tensor == "t1" && message.contains("total more bytes")
        }
    }

    /// Integer fields are bounded, so that what validation derives from them cannot overflow
    /// (`2 · position_buckets`, `heads · head size`) or exhaust memory (a tensor list for 10^12
    /// layers, 10^12 label names). (Fuzz/regressions/config/)
    @Test(arguments: [
        (#"{"relative_attention": true, "position_buckets": 4611686018427387904}"#, "position_buckets", "at most 2147483647"),
        (#"{"num_attention_heads": 4294967296, "attention_head_size": 4294967296}"#, "num_attention_heads", "at most 2147483647"),
        (#"{"num_hidden_layers": 1000000000000}"#, "num_hidden_layers", "at most 1024"),
        (#"{"num_labels": 1000000000000}"#, "num_labels", "at most 1048576"),
        (#"{"max_relative_positions": -9223372036854775808}"#, "max_relative_positions", "at least -2147483648"),
    ])
    func oversizedConfigIntegersAreRejected(text: String, field: String, expected: String) throws {
        #expect {
            _ = try DebertaConfig(json: JSONParser.parse(Array(text.utf8)), file: "config.json")
        } throws: { error in
            guard case let .config(_, name, message) = error as? CheckpointError else { return false }
            return name == field && message.contains(expected)
        }
    }

    /// The largest accepted values still give an expected-tensor list without overflow.
    @Test func largestAcceptedConfigValidates() throws {
        let max = DebertaConfig.maximumInteger
        let text = """
            {"relative_attention": true, "position_buckets": \(max), "num_attention_heads": \(max),
             "attention_head_size": \(max), "hidden_size": \(max), "num_hidden_layers": 2, "norm_rel_ebd": "layer_norm",
             "conv_kernel_size": \(max), "intermediate_size": \(max), "vocab_size": \(max), "num_labels": 3}
            """
        let config = try DebertaConfig(json: JSONParser.parse(Array(text.utf8)), file: "config.json")
        let entries = ExpectedTensors.entries(for: config)
        #expect(entries.contains { $0.name == "deberta.encoder.rel_embeddings.weight" && $0.shape == [2 * max, max] })
        #expect(TensorSetReport.check(tensors: [], config: config).missing.count == entries.count)
    }

    /// `MappedFile(copying:path:)`, which the fuzz targets read through, reads like a mapping.
    @Test func heapCopyReadsLikeTheMappedFile() throws {
        let path = Fixtures.format("torch-zip-f16") + "/pytorch_model.bin"
        let mapped = try MappedFile(path: path)
        let copy = MappedFile(copying: mapped.bytes, path: path)
        #expect(copy.size == mapped.size && copy.bytes.elementsEqual(mapped.bytes))
        let a = try TorchZipReader.read(mapped), b = try TorchZipReader.read(copy)
        #expect(a.map(\.name) == b.map(\.name) && a.map(\.byteOffset) == b.map(\.byteOffset))
        #expect(try a.map { try $0.floats() } == b.map { try $0.floats() })
        #expect(MappedFile(copying: UnsafeRawBufferPointer(start: nil, count: 0), path: "empty").size == 0)
    }
}
