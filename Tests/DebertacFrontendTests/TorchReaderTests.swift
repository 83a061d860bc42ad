@testable import DebertacFrontend
import Foundation
import Testing

/// Raw little-endian storage bytes.
func storageBytes(_ values: [Float], _ dtype: DType) -> [UInt8] {
    values.flatMap { value -> [UInt8] in
        switch dtype {
        case .f32: withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
        case .f16: withUnsafeBytes(of: Float16(value).bitPattern.littleEndian, Array.init)
        case .bf16: withUnsafeBytes(of: UInt16(value.bitPattern >> 16).littleEndian, Array.init)
        case .i64: withUnsafeBytes(of: Int64(value).littleEndian, Array.init)
        default: []
        }
    }
}

extension PickleBuilder {
    /// `torch._utils._rebuild_parameter(tensor, False, OrderedDict())`.
    mutating func parameter(_ tensor: (inout PickleBuilder) -> Void) {
        global("torch._utils", "_rebuild_parameter")
        mark()
        tensor(&self)
        op(0x89)
        orderedDict()
        op(0x74, 0x52)
    }
}

/// The legacy layout around a state-dict pickle: magic, 1001, sys_info, state, keys, records.
func legacyFile(state: [UInt8], keys: [String], records: [(count: Int, bytes: [UInt8])], littleEndian: Bool = true) -> [UInt8] {
    var p = PickleBuilder()
    p.proto()
    p.long([0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19])
    p.stop()
    p.proto()
    p.int(1001)
    p.stop()
    p.proto()
    p.op(0x7D)
    p.mark()
    p.string("protocol_version")
    p.int(1001)
    p.string("little_endian")
    p.op(littleEndian ? 0x88 : 0x89)
    p.string("type_sizes")
    p.op(0x7D)
    p.op(0x75)
    p.stop()
    p.bytes += state
    p.proto()
    p.op(0x5D)
    p.mark()
    for key in keys { p.string(key) }
    p.op(0x65)
    p.stop()
    for record in records { p.bytes += le64(UInt64(record.count)) + record.bytes }
    return p.bytes
}

@Suite struct TorchReaderTests {
    // MARK: Synthetic archives

    static let weights: [Float] = [0, 1, 2, 3, 4, 5]

    /// A state dict covering contiguous, transposed, offset-view, parameter and integer tensors.
    static func sampleState(legacy: Bool) -> [UInt8] {
        PickleBuilder.stateDict([
            ("a.weight", { $0.tensor(key: "0", numel: 6, shape: [2, 3], strides: [3, 1], legacy: legacy) }),
            ("a.bias", { $0.tensor(storage: "HalfStorage", key: "1", numel: 3, shape: [3], strides: [1], legacy: legacy) }),
            ("t", { $0.tensor(key: "0", numel: 6, shape: [3, 2], strides: [1, 3], legacy: legacy) }),
            ("v", { $0.tensor(key: "0", numel: 6, offset: 2, shape: [2, 2], strides: [2, 1], legacy: legacy) }),
            ("p", { p in p.parameter { $0.tensor(storage: "BFloat16Storage", key: "2", numel: 2, shape: [2], strides: [1], legacy: legacy) } }),
            ("ids", { $0.tensor(storage: "LongStorage", key: "3", numel: 4, shape: [1, 4], strides: [4, 1], legacy: legacy) }),
        ])
    }

    static let sampleStorages: [(key: String, values: [Float], dtype: DType)] = [
        ("0", weights, .f32), ("1", [1, -2, 0.5], .f16), ("2", [1.5, -3], .bf16), ("3", [0, 1, 2, 3], .i64),
    ]

    static func sampleZip(root: String = "archive", state: [UInt8]? = nil, byteorder: String? = "little") -> [UInt8] {
        var zip = ZipBuilder()
        zip.add("\(root)/data.pkl", state ?? sampleState(legacy: false))
        if let byteorder { zip.add("\(root)/byteorder", Array(byteorder.utf8)) }
        for storage in sampleStorages { zip.add("\(root)/data/\(storage.key)", storageBytes(storage.values, storage.dtype)) }
        zip.add("\(root)/version", Array("3\n".utf8))
        return zip.bytes()
    }

    func read(_ bytes: [UInt8], legacy: Bool = false) throws -> [TensorRecord] {
        let dir = try ScratchDirectory()
        let file = try MappedFile(path: try dir.write("model.bin", bytes))
        return legacy ? try TorchLegacyReader.read(file) : try TorchZipReader.read(file)
    }

    func failure(_ bytes: [UInt8], legacy: Bool = false) -> CheckpointError? {
        do {
            _ = try read(bytes, legacy: legacy)
            Issue.record("expected the checkpoint to be rejected")
        } catch let error as CheckpointError {
            return error
        } catch {
            Issue.record("untyped error \(error)")
        }
        return nil
    }

    func checkSample(_ records: [TensorRecord]) throws {
        #expect(records.map(\.name) == ["a.weight", "a.bias", "t", "v", "p", "ids"])
        #expect(records.map(\.dtype) == [.f32, .f16, .f32, .f32, .bf16, .i64])
        #expect(try records[0].floats() == [0, 1, 2, 3, 4, 5])
        #expect(try records[1].floats() == [1, -2, 0.5])
        #expect(try records[2].floats() == [0, 3, 1, 4, 2, 5])  // the transpose of a.weight
        #expect(try records[3].floats() == [2, 3, 4, 5])
        #expect(try records[4].floats() == [1.5, -3])
        #expect(records[5].shape == [1, 4])
        #expect(throws: CheckpointError.self) { try records[5].floats() }
    }

    @Test(arguments: ["archive", "my_checkpoint"])
    func syntheticZip(root: String) throws {
        try checkSample(try read(TorchReaderTests.sampleZip(root: root)))
        try checkSample(try read(TorchReaderTests.sampleZip(root: root, byteorder: nil)))
    }

    @Test func syntheticLegacyWithViews() throws {
        let storages = TorchReaderTests.sampleStorages
        let records = storages.map { (count: $0.values.count, bytes: storageBytes($0.values, $0.dtype)) }
        try checkSample(try read(legacyFile(state: TorchReaderTests.sampleState(legacy: true), keys: storages.map(\.key), records: records), legacy: true))

        // A view storage (pre-1.0 style): elements [2, 6) of root storage "0", then offset 1 into the view.
        let state = PickleBuilder.stateDict([
            ("w", { $0.tensor(key: "0", numel: 6, offset: 1, shape: [3], strides: [1], view: ("v", 2, 4), legacy: true) }),
        ])
        let viewed = try read(legacyFile(state: state, keys: ["0"], records: [records[0]]), legacy: true)
        #expect(try viewed[0].floats() == [3, 4, 5])
        // Reading one element past the view is refused even though the root storage has it.
        let past = PickleBuilder.stateDict([
            ("w", { $0.tensor(key: "0", numel: 6, offset: 2, shape: [3], strides: [1], view: ("v", 2, 4), legacy: true) }),
        ])
        guard case .tensorOutOfBounds? = failure(legacyFile(state: past, keys: ["0"], records: [records[0]]), legacy: true) else {
            Issue.record("read past a view"); return
        }
    }

    @Test func legacyStructureErrors() throws {
        let records = [(count: 6, bytes: storageBytes(TorchReaderTests.weights, .f32))]
        let state = PickleBuilder.stateDict([("w", { $0.tensor(key: "0", numel: 6, shape: [6], strides: [1], legacy: true) })])
        #expect(try read(legacyFile(state: state, keys: ["0"], records: records), legacy: true).count == 1)
        guard case .unexpectedPickleContent? = failure(legacyFile(state: state, keys: ["0"], records: records, littleEndian: false), legacy: true) else {
            Issue.record("big-endian accepted"); return
        }
        guard case .truncated? = failure(legacyFile(state: state, keys: ["0"], records: [(7, records[0].bytes)]), legacy: true) else {
            Issue.record("short storage accepted"); return
        }
        guard case .malformed? = failure(legacyFile(state: state, keys: ["0", "9"], records: records), legacy: true) else {
            Issue.record("unused key accepted"); return
        }
        guard case .tensorOutOfBounds? = failure(legacyFile(state: state, keys: [], records: []), legacy: true) else {
            Issue.record("missing storage accepted"); return
        }
        guard case .unexpectedPickleContent? = failure([0x80, 2, 0x4B, 5, 0x2E], legacy: true) else {
            Issue.record("non-legacy file accepted"); return
        }
        let five = PickleBuilder.stateDict([("w", { $0.tensor(key: "0", numel: 6, shape: [6], strides: [1], legacy: false) })])
        guard case .unexpectedPickleContent? = failure(legacyFile(state: five, keys: ["0"], records: records), legacy: true) else {
            Issue.record("5-element persistent id accepted in a legacy file"); return
        }
        let bytes = legacyFile(state: state, keys: ["0"], records: records)
        #expect(bytes.withUnsafeBytes(TorchLegacyReader.looksLikeLegacy))
        #expect(!TorchReaderTests.sampleZip().withUnsafeBytes(TorchLegacyReader.looksLikeLegacy))
    }

    @Test func bigEndianArchiveIsRejected() {
        let error = failure(TorchReaderTests.sampleZip(byteorder: "big"))
        guard case let .malformed(_, _, message)? = error else { Issue.record("wrong error \(String(describing: error))"); return }
        #expect(message.contains("'big'"))
    }

    @Test func nonTensorValueIsNamed() {
        let state = PickleBuilder.stateDict([
            ("a.weight", { $0.tensor(key: "0", numel: 6, shape: [6], strides: [1]) }),
            ("epoch", { $0.int(3) }),
        ])
        let error = failure(TorchReaderTests.sampleZip(state: state))
        guard case let .unexpectedPickleContent(_, _, message)? = error else { Issue.record("wrong error \(String(describing: error))"); return }
        #expect(message.contains("'epoch'"))
    }

    @Test func duplicateNameIsRejected() {
        let tensor: (inout PickleBuilder) -> Void = { $0.tensor(key: "0", numel: 6, shape: [6], strides: [1]) }
        let error = failure(TorchReaderTests.sampleZip(state: PickleBuilder.stateDict([("w", tensor), ("w", tensor)])))
        guard case let .duplicateTensor(_, tensor)? = error else { Issue.record("wrong error \(String(describing: error))"); return }
        #expect(tensor == "w")
    }

    @Test func storageProblems() {
        let cases: [(String, (inout PickleBuilder) -> Void)] = [
            ("missing entry", { $0.tensor(key: "7", numel: 6, shape: [6], strides: [1]) }),
            ("storage larger than its entry", { $0.tensor(key: "0", numel: 7, shape: [7], strides: [1]) }),
            ("two dtypes for one key", { p in
                p.mark()
                p.tensor(key: "0", numel: 6, shape: [6], strides: [1])
                p.tensor(storage: "HalfStorage", key: "0", numel: 6, shape: [6], strides: [1])
                p.op(0x74)
            }),
        ]
        for (label, value) in cases {
            guard case .malformed? = failure(TorchReaderTests.sampleZip(state: PickleBuilder.stateDict([("w", value)]))) else {
                Issue.record("\(label) accepted"); continue
            }
        }
        let past = PickleBuilder.stateDict([("w", { $0.tensor(key: "0", numel: 6, offset: 4, shape: [3], strides: [1]) })])
        guard case .tensorOutOfBounds? = failure(TorchReaderTests.sampleZip(state: past)) else { Issue.record("read past a storage"); return }
        let huge = PickleBuilder.stateDict([("w", { $0.tensor(key: "0", numel: 6, shape: [3, 1 << 40], strides: [1 << 40, 1]) })])
        guard case .tensorOutOfBounds? = failure(TorchReaderTests.sampleZip(state: huge)) else { Issue.record("huge shape accepted"); return }
    }

    @Test func dataPickleMustBeUnique() {
        var none = ZipBuilder()
        none.add("archive/data/0", [0, 0, 0, 0])
        guard case .malformed? = failure(none.bytes()) else { Issue.record("archive without data.pkl accepted"); return }
        var two = ZipBuilder()
        two.add("a/data.pkl", TorchReaderTests.sampleState(legacy: false))
        two.add("b/data.pkl", TorchReaderTests.sampleState(legacy: false))
        guard case .malformed? = failure(two.bytes()) else { Issue.record("two data.pkl accepted"); return }
    }

    // MARK: Fixtures written by scripts/make_fixtures.py with real torch

    static let fixtureFiles = [
        "torch-zip-f32/pytorch_model.bin", "torch-zip-f16/pytorch_model.bin", "torch-zip-bf16/pytorch_model.bin",
        "torch-zip-renamed-root/weights.bin", "torch-zip64/pytorch_model.bin", "torch-zip-noncontiguous/pytorch_model.bin",
        "torch-legacy-f32/pytorch_model.bin", "torch-legacy-f16/pytorch_model.bin",
    ]

    /// Reads `files` of one fixture folder and checks names, dtypes, shapes and the FNV-1a 64
    /// of every float tensor's fp32 conversion against the folder's `tensors.json`.
    func checkFixture(folder: String, files: [String]) throws {
        let directory = Fixtures.format(folder)
        let manifestPath = directory + "/tensors.json"
        try #require(FileManager.default.fileExists(atPath: manifestPath), "fixture \(manifestPath) is missing: run scripts/make_fixtures.py")
        let manifest = try Fixtures.manifest(directory)
        var seen: [String] = []
        for name in files {
            let file = try MappedFile(path: directory + "/" + name)
            let legacy = TorchLegacyReader.looksLikeLegacy(file.bytes)
            #expect(legacy == folder.hasPrefix("torch-legacy") && (legacy || ZipArchive.looksLikeZip(file.bytes)))
            let records = legacy ? try TorchLegacyReader.read(file) : try TorchZipReader.read(file)
            for record in records {
                seen.append(record.name)
                guard let expected = manifest[record.name] else { Issue.record("\(folder): unexpected tensor \(record.name)"); continue }
                #expect(record.dtype.rawValue == expected.dtype, "\(folder): \(record.name)")
                #expect(record.shape == expected.shape, "\(folder): \(record.name)")
                if let fnv = expected.fnv {
                    #expect(fnv1a64(try record.floats()) == fnv, "\(folder): \(record.name)")
                }
            }
        }
        #expect(seen.sorted() == manifest.keys.sorted(), "\(folder): tensor set differs from tensors.json")
    }

    @Test(arguments: fixtureFiles)
    func torchFixture(_ path: String) throws {
        let parts = path.split(separator: "/")
        try checkFixture(folder: String(parts[0]), files: [String(parts[1])])
    }

    @Test func torchShardedFixture() throws {
        try checkFixture(folder: "torch-zip-sharded", files: ["pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"])
    }

    @Test func noncontiguousFixtureReallyHasStridedViews() throws {
        let file = try MappedFile(path: Fixtures.format("torch-zip-noncontiguous") + "/pytorch_model.bin")
        let records = try TorchZipReader.read(file)
        #expect(records.contains { !$0.isContiguous })
        let byName = Dictionary(records.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let key = try #require(byName["deberta.encoder.layer.1.attention.self.key_proj.bias"])
        let query = try #require(byName["deberta.encoder.layer.1.attention.self.query_proj.bias"])
        #expect(key.byteOffset == query.byteOffset + query.byteCount)  // one shared storage
    }

    // MARK: Hostile fixtures: rejected by name, nothing executed

    func expectForbidden(_ body: () throws -> Void, module: String, name: String, or alias: String? = nil) {
        do {
            try body()
            Issue.record("hostile file accepted")
        } catch let CheckpointError.forbiddenPickleGlobal(_, _, m, n) {
            #expect((m == module || m == alias) && n == name)
        } catch {
            Issue.record("wrong error \(error)")
        }
    }

    @Test func hostileZipOsSystem() throws {
        let file = try MappedFile(path: Fixtures.hostile("os-system.bin"))
        #expect(ZipArchive.looksLikeZip(file.bytes))
        expectForbidden({ _ = try TorchZipReader.read(file) }, module: "posix", name: "system")
    }

    @Test func hostileLegacyBuiltinsEval() throws {
        let file = try MappedFile(path: Fixtures.hostile("builtins-eval-legacy.bin"))
        #expect(TorchLegacyReader.looksLikeLegacy(file.bytes))
        expectForbidden({ _ = try TorchLegacyReader.read(file) }, module: "builtins", name: "eval", or: "__builtin__")  // protocol 2 may write either
    }

    @Test func hostilePickleSubprocess() throws {
        let file = try MappedFile(path: Fixtures.hostile("subprocess-global.pkl"))
        expectForbidden({ try PickleMachine.unpickle(file.bytes, file: file.path) { _, _ in } }, module: "subprocess", name: "Popen")
    }
}
