/// Reads a `torch.save` zip archive (torch ≥ 1.6) into tensor records, executing nothing.
///
/// Layout: every entry sits under one top folder `<root>/` (often `archive/`, but any name):
/// `<root>/data.pkl` is the state-dict pickle, `<root>/data/<key>` holds the raw bytes of
/// storage `<key>`, `<root>/byteorder` is `little` (or absent, meaning little), and
/// `<root>/version` is ignored. Storages appear in the pickle as persistent ids
/// `('storage', torch.<X>Storage, key, location, numel)`, tensors as
/// `_rebuild_tensor_v2(storage, offset, size, stride, ...)`, offsets and strides in elements.
public enum TorchZipReader {
    /// Reads every tensor of the state dict in `file`, in pickle order.
    ///
    /// The top-level object must be a dict (or `OrderedDict`) of str → tensor or parameter;
    /// anything else is `CheckpointError.unexpectedPickleContent` naming the key.
    public static func read(_ file: MappedFile) throws -> [TensorRecord] {
        let archive = try ZipArchive(file: file)
        let pickles = archive.entries.filter { entry in
            let parts = entry.name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl" && !parts[0].isEmpty
        }
        guard let pickle = pickles.first else {
            throw CheckpointError.malformed(file: file.path, offset: 0, message: "zip archive has no '<root>/data.pkl' entry, so it is not a torch.save checkpoint")
        }
        guard pickles.count == 1 else {
            throw CheckpointError.malformed(file: file.path, offset: pickles[1].dataOffset, message: "zip archive has several state-dict pickles: \(pickles.map { quoted($0.name) }.joined(separator: ", "))")
        }
        let root = String(pickle.name.dropLast("/data.pkl".count))

        if let order = archive["\(root)/byteorder"] {
            let text = String(decoding: archive.data(of: order), as: UTF8.self).trimmingWhitespace
            guard text == "little" else {
                throw CheckpointError.malformed(file: file.path, offset: order.dataOffset, message: "\(quoted(order.name)) says \(quoted(text)); only little-endian storages are supported")
            }
        }

        // Each storage key maps to its data entry; one key must keep one element type.
        var storages: [String: (dtype: DType, entry: ZipEntry)] = [:]
        let load: PickleMachine.PersistentLoad = { pid, offset in
            let storage = try storageReference(pid, viewed: false, file: file.path, offset: offset)
            let name = "\(root)/data/\(storage.key)"
            guard let entry = archive[name] else {
                throw CheckpointError.malformed(file: file.path, offset: offset, message: "storage \(quoted(storage.key)) has no entry \(quoted(name))")
            }
            let (bytes, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.dtype.size)
            guard !overflow, bytes <= entry.size else {
                throw CheckpointError.malformed(file: file.path, offset: offset, message: "storage \(quoted(storage.key)) declares \(storage.elementCount) \(storage.dtype.rawValue) elements but \(quoted(name)) holds \(entry.size) bytes")
            }
            if let known = storages[storage.key], known.dtype != storage.dtype {
                throw CheckpointError.malformed(file: file.path, offset: offset, message: "storage \(quoted(storage.key)) is used as both \(known.dtype.rawValue) and \(storage.dtype.rawValue)")
            }
            storages[storage.key] = (storage.dtype, entry)
            return storage
        }
        let specs = try PickleMachine.unpickle(
            archive.data(of: pickle), file: file.path, baseOffset: pickle.dataOffset, persistentLoad: load
        ) { value, _ in
            try tensorSpecs(in: value, file: file.path, offset: pickle.dataOffset)
        }

        return try makeRecords(specs, file: file) { key in
            storages[key].map { $0.entry.dataOffset..<$0.entry.dataOffset + $0.entry.size }
        }
    }
}

// MARK: - State-dict interpretation shared with `TorchLegacyReader`

extension TorchZipReader {
    /// A tensor of the state dict, before its storage is located in the file.
    struct TensorSpec {
        var name: String
        var storage: PickleStorage
        /// Offset of element `[0, 0, ...]` in the storage view, in elements.
        var storageOffset: Int
        var shape: [Int]
        var strides: [Int]
        /// File offset of the call that built the tensor, for errors.
        var offset: Int
    }

    /// Validates a persistent id `('storage', torch.<X>Storage, key, location, numel)`, plus a
    /// sixth element `view_metadata` when `viewed` (legacy format): `None`, or
    /// `(view_key, offset, size)` selecting elements of the root storage `key`.
    static func storageReference(_ pid: PickleValue, viewed: Bool, file: String, offset: Int) throws -> PickleStorage {
        let fail = { (message: String) in CheckpointError.unexpectedPickleContent(file: file, offset: offset, message: message) }
        let arity = viewed ? 6 : 5
        guard let items = pid.tupleItems, items.count == arity else {
            throw fail("persistent id is a \(pid.kind), expected a tuple ('storage', type, key, location, numel\(viewed ? ", view" : ""))")
        }
        guard items[0].stringValue == "storage" else { throw fail("persistent id starts with a \(items[0].kind), expected 'storage'") }
        guard case let .global(type) = items[1], let dtype = type.storageDType else {
            throw fail("persistent id has storage type \(items[1].kind), expected a torch storage class")
        }
        guard let key = items[2].stringValue else { throw fail("storage key is a \(items[2].kind), expected a str") }
        guard items[3].stringValue != nil else { throw fail("storage \(quoted(key)) has a location that is a \(items[3].kind), expected a str") }
        guard let numel = items[4].intValue.flatMap({ Int(exactly: $0) }), numel >= 0 else {
            throw fail("storage \(quoted(key)) has an element count that is not a non-negative int")
        }
        var view: [PickleValue]?
        if viewed {
            switch items[5] {
            case .none: break
            case let .tuple(parts): view = parts
            default: throw fail("storage \(quoted(key)) has view metadata that is a \(items[5].kind), expected None or a tuple")
            }
        }
        guard let view else { return PickleStorage(dtype: dtype, key: key, elementCount: numel) }
        guard view.count == 3, view[0].stringValue != nil,
            let start = view[1].intValue.flatMap({ Int(exactly: $0) }), let count = view[2].intValue.flatMap({ Int(exactly: $0) }),
            start >= 0, count >= 0
        else { throw fail("storage \(quoted(key)) has view metadata that is not (str, offset, size)") }
        let (end, overflow) = start.addingReportingOverflow(count)
        guard !overflow, end <= numel else {
            throw fail("view [\(start), +\(count)) of storage \(quoted(key)) exceeds its \(numel) elements")
        }
        return PickleStorage(dtype: dtype, key: key, elementOffset: start, elementCount: count)
    }

    /// The tensors of a top-level state dict, in pickle order. Duplicate names are errors.
    static func tensorSpecs(in value: PickleValue, file: String, offset: Int) throws -> [TensorSpec] {
        guard case let .dict(dict) = value else {
            throw CheckpointError.unexpectedPickleContent(file: file, offset: offset, message: "top-level object is a \(value.kind), expected a state dict (a dict of str to tensor)")
        }
        var seen = Set<String>()
        var specs: [TensorSpec] = []
        specs.reserveCapacity(dict.entries.count)
        for (key, value) in dict.entries {
            guard let name = key.stringValue else {
                throw CheckpointError.unexpectedPickleContent(file: file, offset: dict.offset, message: "state dict has a key that is a \(key.kind), expected a str")
            }
            guard seen.insert(name).inserted else { throw CheckpointError.duplicateTensor(file: file, tensor: name) }
            specs.append(try tensorSpec(value, name: name, file: file, offset: dict.offset, depth: 0))
        }
        return specs
    }

    /// Interprets `_rebuild_tensor_v2`, `_rebuild_tensor` and `_rebuild_parameter` calls.
    static func tensorSpec(_ value: PickleValue, name: String, file: String, offset: Int, depth: Int) throws -> TensorSpec {
        guard case let .call(call) = value, depth < PickleMachine.maxDepth else {
            throw CheckpointError.unexpectedPickleContent(file: file, offset: offset, message: "value of \(quoted(name)) is a \(value.kind), expected a tensor")
        }
        let fail = { (message: String) in
            CheckpointError.unexpectedPickleContent(file: file, offset: call.offset, message: "tensor \(quoted(name)): \(message)")
        }
        let args = call.arguments
        switch call.function {
        case .rebuildParameter:
            guard args.count == 3 else { throw fail("_rebuild_parameter takes 3 arguments, got \(args.count)") }
            return try tensorSpec(args[0], name: name, file: file, offset: call.offset, depth: depth + 1)
        case .rebuildTensorV2 where args.count == 6 || args.count == 7, .rebuildTensor where args.count == 4:
            guard case let .storage(storage) = args[0] else { throw fail("storage argument is a \(args[0].kind)") }
            guard let storageOffset = args[1].intValue.flatMap({ Int(exactly: $0) }), storageOffset >= 0 else {
                throw fail("storage offset is not a non-negative int")
            }
            guard let shape = intTuple(args[2]), let strides = intTuple(args[3]) else {
                throw fail("size and stride must be tuples of non-negative ints")
            }
            guard shape.count == strides.count else { throw fail("size \(shape) and stride \(strides) differ in rank") }
            return TensorSpec(name: name, storage: storage, storageOffset: storageOffset, shape: shape, strides: strides, offset: call.offset)
        default:
            throw fail("'\(call.function.module).\(call.function.name)' with \(args.count) arguments does not build a tensor")
        }
    }

    private static func intTuple(_ value: PickleValue) -> [Int]? {
        guard let items = value.tupleItems else { return nil }
        var result: [Int] = []
        for item in items {
            guard let int = item.intValue.flatMap({ Int(exactly: $0) }), int >= 0 else { return nil }
            result.append(int)
        }
        return result
    }

    /// Builds the records once every root storage's byte range in `file` is known.
    /// `region(key)` is the byte range of root storage `key` (nil if it has none).
    static func makeRecords(_ specs: [TensorSpec], file: MappedFile, region: (String) -> Range<Int>?) throws -> [TensorRecord] {
        try specs.map { spec in
            let fail = { (message: String) in CheckpointError.tensorOutOfBounds(file: file.path, tensor: spec.name, message: message) }
            let storage = spec.storage
            guard let root = region(storage.key) else { throw fail("storage \(quoted(storage.key)) has no data in the file") }
            let size = storage.dtype.size
            // View window [start, end) of the root storage, then the tensor's first element.
            let (viewStart, o1) = storage.elementOffset.multipliedReportingOverflow(by: size)
            let (viewBytes, o2) = storage.elementCount.multipliedReportingOverflow(by: size)
            let (start, o3) = root.lowerBound.addingReportingOverflow(viewStart)
            let (end, o4) = start.addingReportingOverflow(viewBytes)
            guard !o1, !o2, !o3, !o4, end <= root.upperBound else {
                throw fail("storage \(quoted(storage.key)) view [\(storage.elementOffset), +\(storage.elementCount)) × \(size) bytes exceeds its \(root.count) bytes")
            }
            let (first, o5) = spec.storageOffset.multipliedReportingOverflow(by: size)
            let (byteOffset, o6) = start.addingReportingOverflow(first)
            guard !o5, !o6 else { throw fail("storage offset \(spec.storageOffset) overflows") }
            return try TensorRecord(
                name: spec.name, dtype: storage.dtype, shape: spec.shape, strides: spec.strides,
                file: file, byteOffset: byteOffset, region: start..<end)
        }
    }
}

extension String {
    /// The string without leading and trailing ASCII whitespace.
    fileprivate var trimmingWhitespace: String {
        let isSpace = { (c: Character) in c == " " || c == "\n" || c == "\r" || c == "\t" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
