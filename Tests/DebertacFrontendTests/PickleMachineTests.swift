@testable import DebertacFrontend
import Testing

/// Writes protocol-2 pickle opcodes by hand, the way `torch.save` does.
struct PickleBuilder {
    var bytes: [UInt8] = []

    mutating func op(_ opcodes: UInt8...) { bytes += opcodes }
    mutating func proto(_ version: UInt8 = 2) { op(0x80, version) }
    mutating func stop() { op(0x2E) }
    mutating func mark() { op(0x28) }
    mutating func global(_ module: String, _ name: String) { bytes += [0x63] + Array("\(module)\n\(name)\n".utf8) }
    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        bytes += [0x58] + le32(UInt32(utf8.count)) + utf8
    }
    mutating func int(_ value: Int) {
        switch value {
        case 0..<256: op(0x4B, UInt8(value))
        case 256..<65536: op(0x4D, UInt8(value & 0xFF), UInt8(value >> 8))
        case Int(Int32.min)...Int(Int32.max): bytes += [0x4A] + le32(UInt32(bitPattern: Int32(value)))
        default: long(le64(UInt64(bitPattern: Int64(value))))
        }
    }
    mutating func long(_ littleEndian: [UInt8]) { bytes += [0x8A, UInt8(littleEndian.count)] + littleEndian }
    mutating func put(_ index: UInt8) { op(0x71, index) }
    mutating func get(_ index: UInt8) { op(0x68, index) }
    /// `(a, b, ...)` built with MARK ... TUPLE.
    mutating func tuple(_ items: [Int]) {
        mark()
        for item in items { int(item) }
        op(0x74)
    }
    /// `collections.OrderedDict()`.
    mutating func orderedDict() {
        global("collections", "OrderedDict")
        op(0x29, 0x52)  // EMPTY_TUPLE, REDUCE
    }

    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())`
    /// with a persistent-id storage, as torch writes a tensor (a 6th pid element for legacy).
    mutating func tensor(
        storage: String = "FloatStorage", key: String, numel: Int, offset: Int = 0,
        shape: [Int], strides: [Int], view: (key: String, offset: Int, size: Int)? = nil, legacy: Bool = false
    ) {
        global("torch._utils", "_rebuild_tensor_v2")
        mark()
        mark()
        string("storage")
        global("torch", storage)
        string(key)
        string("cpu")
        int(numel)
        if legacy {
            if let view {
                mark(); string(view.key); int(view.offset); int(view.size); op(0x74)
            } else {
                op(0x4E)
            }
        }
        op(0x74, 0x51)  // TUPLE, BINPERSID
        int(offset)
        tuple(shape)
        tuple(strides)
        op(0x89)  // requires_grad False
        orderedDict()
        op(0x74, 0x52)  // TUPLE, REDUCE
    }

    /// A whole state-dict pickle: `OrderedDict` of the given entries, with torch's `_metadata` BUILD.
    static func stateDict(_ entries: [(String, (inout PickleBuilder) -> Void)]) -> [UInt8] {
        var p = PickleBuilder()
        p.proto()
        p.orderedDict()
        p.put(0)
        p.mark()
        for (name, value) in entries {
            p.string(name)
            value(&p)
        }
        p.op(0x75)  // SETITEMS
        p.op(0x7D)  // state: {'_metadata': OrderedDict()}
        p.string("_metadata")
        p.orderedDict()
        p.op(0x73, 0x62)  // SETITEM, BUILD
        p.stop()
        return p.bytes
    }
}

func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
func le64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }

/// Runs the machine on `bytes` and hands the value to `body`.
func unpickle<T>(_ bytes: [UInt8], load: PickleMachine.PersistentLoad? = nil, _ body: (PickleValue) throws -> T) throws -> T {
    try bytes.withUnsafeBytes { raw in
        try PickleMachine.unpickle(raw, file: "test.pkl", persistentLoad: load) { value, _ in try body(value) }
    }
}

/// The `CheckpointError` that unpickling `bytes` throws (recording an issue if none).
func pickleFailure(_ bytes: [UInt8], load: PickleMachine.PersistentLoad? = nil) -> CheckpointError? {
    do {
        try unpickle(bytes, load: load) { _ in }
        Issue.record("expected unpickling to fail")
    } catch let error as CheckpointError {
        return error
    } catch {
        Issue.record("unexpected error type \(error)")
    }
    return nil
}

/// A persistent loader for the test pickles: `('storage', type, key, location, numel)`.
func testLoad(_ pid: PickleValue, _ offset: Int) throws -> PickleStorage {
    try TorchZipReader.storageReference(pid, viewed: false, file: "test.pkl", offset: offset)
}

@Suite struct PickleMachineTests {
    @Test func tinyStateDict() throws {
        let bytes = PickleBuilder.stateDict([
            ("w", { $0.tensor(key: "0", numel: 6, shape: [2, 3], strides: [3, 1]) }),
            ("b", { $0.tensor(storage: "HalfStorage", key: "1", numel: 4, offset: 1, shape: [3], strides: [1]) }),
        ])
        try unpickle(bytes, load: testLoad) { value in
            guard case let .dict(dict) = value else { Issue.record("not a dict: \(value.kind)"); return }
            #expect(dict.entries.map { $0.key.stringValue } == ["w", "b"])
            guard case let .call(call) = dict.entries[1].value else { Issue.record("not a call"); return }
            #expect(call.function == .rebuildTensorV2 && call.arguments.count == 6)
            guard case let .storage(storage) = call.arguments[0] else { Issue.record("no storage"); return }
            #expect(storage == PickleStorage(dtype: .f16, key: "1", elementCount: 4))
            #expect(call.arguments[1].intValue == 1)
            let specs = try TorchZipReader.tensorSpecs(in: value, file: "test.pkl", offset: 0)
            #expect(specs.map(\.shape) == [[2, 3], [3]] && specs.map(\.strides) == [[3, 1], [1]])
        }
    }

    @Test func scalarsDecode() throws {
        var p = PickleBuilder()
        p.proto()
        p.mark()
        p.bytes += [0x4A] + le32(UInt32(bitPattern: -7))  // BININT -7
        p.long([0xFF])  // -1
        p.long([])  // 0
        p.long([0x00, 0x80, 0x00])  // 32768
        p.long([0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19])  // the legacy magic
        p.bytes += [0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0]  // BINFLOAT 1.5
        p.op(0x88, 0x89, 0x4E)  // True False None
        p.bytes += [0x8C, 3] + Array("hé".utf8)  // SHORT_BINUNICODE
        p.bytes += [0x43, 2, 9, 8]  // SHORT_BINBYTES
        p.op(0x74)
        p.stop()
        try unpickle(p.bytes) { value in
            let items = try #require(value.tupleItems)
            try #require(items.count == 11)
            #expect(items[0].intValue == -7 && items[1].intValue == -1 && items[2].intValue == 0 && items[3].intValue == 32768)
            guard case let .bigInt(magic) = items[4] else { Issue.record("magic is \(items[4].kind)"); return }
            #expect(magic == [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19])
            guard case .float(1.5) = items[5], case .bool(true) = items[6], case .bool(false) = items[7], case .none = items[8],
                case .bytes([9, 8]) = items[10]
            else { Issue.record("wrong scalars"); return }
            #expect(items[9].stringValue == "hé")
        }
    }

    @Test func invalidUTF8IsRejected() throws {
        let error = pickleFailure([0x80, 2, 0x8C, 2, 0x68, 0xC3, 0x2E])
        guard case let .malformed(_, offset, message)? = error else { Issue.record("wrong error"); return }
        #expect(offset == 2 && message.contains("UTF-8"))
        #expect(error?.description.contains("UTF-8") == true)
    }

    @Test(arguments: [("os", "system"), ("builtins", "eval"), ("subprocess", "Popen"), ("posix", "system"), ("nt", "system"),
                      ("torch", "load"), ("torch._utils", "_rebuild_from_type_v2"), ("collections", "defaultdict")])
    func forbiddenGlobalIsRejectedByName(module: String, name: String) throws {
        var p = PickleBuilder()
        p.proto()
        p.global(module, name)
        p.string("echo pwned")
        p.op(0x85, 0x52)  // TUPLE1, REDUCE
        p.stop()
        let error = try #require(pickleFailure(p.bytes))
        #expect(error == .forbiddenPickleGlobal(file: "test.pkl", offset: 2, module: module, name: name))
        #expect(error.description.contains("'\(module).\(name)'"))
    }

    @Test(arguments: [UInt8(ascii: "i"), UInt8(ascii: "o"), 0x82, 0x93, UInt8(ascii: "P"), UInt8(ascii: "c") + 1, 0x8B, 0xFF])
    func opcodeOutsideTheSetIsRejectedWithItsOffset(opcode: UInt8) throws {
        var p = PickleBuilder()
        p.proto()
        p.op(0x4E, opcode, 0, 0, 0, 0)
        #expect(pickleFailure(p.bytes) == .unsupportedPickleOpcode(file: "test.pkl", offset: 3, opcode: opcode))
    }

    @Test func truncatedBinunicode() throws {
        let error = pickleFailure([0x80, 0x02, 0x58] + le32(1000) + Array("abc".utf8))
        guard case let .truncated(_, offset, what)? = error else { Issue.record("wrong error \(String(describing: error))"); return }
        #expect(offset == 2 && what.contains("1000"))
        // A declared length near 4 GiB is refused before anything is allocated.
        guard case .truncated? = pickleFailure([0x80, 0x02, 0x58] + le32(.max) + [0x2E]) else { Issue.record("wrong error"); return }
        guard case .truncated? = pickleFailure([0x80, 0x02, 0x58, 0x01]) else { Issue.record("wrong error"); return }
    }

    @Test func stackUnderflow() throws {
        for bytes: [UInt8] in [[0x80, 2, 0x85, 0x2E], [0x80, 2, 0x73, 0x2E], [0x80, 2, 0x52], [0x80, 2, 0x2E], [0x80, 2, 0x71, 0]] {
            guard case let .malformed(_, offset, message)? = pickleFailure(bytes) else { Issue.record("wrong error for \(bytes)"); continue }
            #expect(offset == 2 && message.contains("underflow"))
        }
        // Values below an open MARK are out of reach, as in CPython.
        guard case let .malformed(_, offset, _)? = pickleFailure([0x80, 2, 0x5D, 0x28, 0x61, 0x2E]) else { Issue.record("wrong error"); return }
        #expect(offset == 4)
    }

    @Test func unmatchedMarks() throws {
        guard case let .malformed(_, offset, message)? = pickleFailure([0x80, 2, 0x4E, 0x28, 0x2E]) else { Issue.record("wrong error"); return }
        #expect(offset == 3 && message.contains("MARK"))
        guard case let .malformed(_, offset2, message2)? = pickleFailure([0x80, 2, 0x4E, 0x74, 0x2E]) else { Issue.record("wrong error"); return }
        #expect(offset2 == 3 && message2.contains("MARK"))
        guard case .malformed? = pickleFailure([0x80, 2, 0x7D, 0x28, 0x4E, 0x75, 0x2E]) else { Issue.record("odd SETITEMS accepted"); return }
    }

    @Test func memoMiss() throws {
        guard case let .malformed(_, offset, message)? = pickleFailure([0x80, 2, 0x4E, 0x71, 0, 0x68, 1, 0x2E]) else { Issue.record("wrong error"); return }
        #expect(offset == 5 && message.contains("memo key 1"))
        guard case .malformed? = pickleFailure([0x80, 2, 0x6A] + le32(70000) + [0x2E]) else { Issue.record("wrong error"); return }
    }

    @Test func deepNestingIsRefused() throws {
        let depth = 5000
        let tuples: [UInt8] = [0x80, 2, 0x4E] + [UInt8](repeating: 0x85, count: depth) + [0x2E]
        guard case .unexpectedPickleContent? = pickleFailure(tuples) else { Issue.record("deep tuples accepted"); return }
        let lists: [UInt8] = [0x80, 2] + [UInt8](repeating: 0x5D, count: depth) + [UInt8](repeating: 0x61, count: depth - 1) + [0x2E]
        guard case .unexpectedPickleContent? = pickleFailure(lists) else { Issue.record("deep lists accepted"); return }
        // d1[None] = d2; d2[None] = d3; ...: EMPTY_DICT NONE EMPTY_DICT NONE ... EMPTY_DICT, then SETITEMs.
        let dicts: [UInt8] = [0x80, 2, 0x7D] + (1..<depth).flatMap { _ in [0x4E, 0x7D] as [UInt8] }
            + [UInt8](repeating: 0x73, count: depth - 1) + [0x2E]
        guard case .unexpectedPickleContent? = pickleFailure(dicts) else { Issue.record("deep dicts accepted"); return }
        // Just under the cap is fine.
        try unpickle([0x80, 2, 0x4E] + [UInt8](repeating: 0x85, count: PickleMachine.maxDepth - 1) + [0x2E]) { _ in }
    }

    @Test func selfReferencingListTerminates() throws {
        // l = []; l.append(l): EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP.
        try unpickle([0x80, 2, 0x5D, 0x71, 0, 0x68, 0, 0x61, 0x2E]) { value in
            guard case let .list(list) = value, case let .list(inner) = list.items.first else { Issue.record("not a list"); return }
            #expect(inner === list)
        }
        // d = {}; d['w'] = d: the state-dict walker reports it instead of recursing forever.
        var p = PickleBuilder()
        p.proto()
        p.op(0x7D)
        p.put(0)
        p.string("w")
        p.get(0)
        p.op(0x73)
        p.stop()
        _ = try unpickle(p.bytes) { value in
            #expect(throws: CheckpointError.self) { try TorchZipReader.tensorSpecs(in: value, file: "test.pkl", offset: 0) }
        }
        // Appending a list to itself many times grows its depth until the cap, then stops.
        let many: [UInt8] = [0x80, 2, 0x5D, 0x71, 0] + (0..<3000).flatMap { _ in [0x68, 0, 0x61] as [UInt8] } + [0x2E]
        guard case .unexpectedPickleContent? = pickleFailure(many) else { Issue.record("wrong error"); return }
    }

    @Test func operandsOfTheWrongType() throws {
        var p = PickleBuilder()
        p.proto()
        p.op(0x5D)  // []
        p.op(0x7D, 0x62)  // BUILD on a list
        p.stop()
        guard case .unexpectedPickleContent? = pickleFailure(p.bytes) else { Issue.record("BUILD on a list accepted"); return }
        guard case .unexpectedPickleContent? = pickleFailure([0x80, 2, 0x4E, 0x29, 0x52, 0x2E]) else { Issue.record("REDUCE on None accepted"); return }
        var q = PickleBuilder()
        q.proto()
        q.global("collections", "OrderedDict")
        q.op(0x4E, 0x52, 0x2E)  // REDUCE with None as arguments
        guard case .unexpectedPickleContent? = pickleFailure(q.bytes) else { Issue.record("non-tuple arguments accepted"); return }
        guard case .unexpectedPickleContent? = pickleFailure([0x80, 2, 0x4E, 0x4E, 0x61, 0x2E]) else { Issue.record("APPEND to None accepted"); return }
        guard case .unexpectedPickleContent? = pickleFailure([0x80, 6, 0x4E, 0x2E]) else { Issue.record("protocol 6 accepted"); return }
        guard case .unexpectedPickleContent? = pickleFailure([0x80, 2, 0x4E, 0x51, 0x2E]) else { Issue.record("persistent id accepted without loader"); return }
        guard case .truncated? = pickleFailure([0x80, 2, 0x4E]) else { Issue.record("missing STOP accepted"); return }
        guard case .malformed? = pickleFailure([0x80, 2, 0x4E, 0x4E, 0x2E]) else { Issue.record("two results accepted"); return }
        guard case .truncated? = pickleFailure([0x80, 2] + Array("ctorch\nFloatStorage".utf8)) else { Issue.record("GLOBAL without newline accepted"); return }
    }

    @Test func protocol4FramesAndMemoize() throws {
        // PROTO 4, FRAME n, EMPTY_DICT, MEMOIZE, SHORT_BINUNICODE 'a', MEMOIZE, BINGET 1, SETITEM, STOP.
        let body: [UInt8] = [0x7D, 0x94, 0x8C, 1, 0x61, 0x94, 0x68, 1, 0x73, 0x2E]
        try unpickle([0x80, 4, 0x95] + le64(UInt64(body.count)) + body) { value in
            guard case let .dict(dict) = value else { Issue.record("not a dict"); return }
            #expect(dict.value(forKey: "a")?.stringValue == "a")
        }
        guard case .truncated? = pickleFailure([0x80, 4, 0x95] + le64(.max) + body) else { Issue.record("huge frame accepted"); return }
    }

    /// Every prefix and many single-byte corruptions of a valid pickle fail with a typed error
    /// (or still parse): never a trap.
    @Test func truncationsAndCorruptionsNeverTrap() throws {
        let bytes = PickleBuilder.stateDict([
            ("w", { $0.tensor(key: "0", numel: 6, shape: [2, 3], strides: [3, 1]) }),
            ("b", { $0.tensor(key: "0", numel: 6, offset: 2, shape: [3], strides: [1]) }),
        ])
        for length in 0..<bytes.count {
            #expect(throws: CheckpointError.self) { try unpickle(Array(bytes.prefix(length)), load: testLoad) { _ in } }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<4000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var mutated = bytes
            mutated[Int(state >> 33) % bytes.count] = UInt8(truncatingIfNeeded: state >> 13)
            do {
                try unpickle(mutated, load: testLoad) { value in _ = try? TorchZipReader.tensorSpecs(in: value, file: "t", offset: 0) }
            } catch is CheckpointError {
            } catch {
                Issue.record("untyped error \(error)")
            }
        }
    }
}
