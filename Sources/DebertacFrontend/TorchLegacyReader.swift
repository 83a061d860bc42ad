/// Reads a legacy `torch.save` file (torch < 1.6, or `_use_new_zipfile_serialization=False`)
/// into tensor records, executing nothing.
///
/// The file is a sequence of pickles followed by raw storage data:
/// 1. the magic number `0x1950a86a20f9469cfc6c` (LONG1),
/// 2. the protocol version `1001`,
/// 3. a `sys_info` dict whose `little_endian` must be `True`,
/// 4. the state dict, whose persistent ids are
///    `('storage', torch.<X>Storage, root_key, location, numel, view_metadata)`,
/// 5. the list of storage keys,
/// 6. for each key in that order: a little-endian int64 element count, then
///    count × element-size raw bytes.
public enum TorchLegacyReader {
    /// `PROTO 2`, then LONG1 with the 10 little-endian bytes of the magic number.
    static let header: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// Whether `bytes` start like a legacy torch file (PROTO 2 + LONG1 of the magic number).
    public static func looksLikeLegacy(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= header.count && bytes.prefix(header.count).elementsEqual(header)
    }

    /// Reads every tensor of the state dict in `file`, in pickle order.
    public static func read(_ file: MappedFile) throws -> [TensorRecord] {
        let bytes = file.bytes
        let path = file.path
        func unexpected(_ offset: Int, _ message: String) -> CheckpointError {
            .unexpectedPickleContent(file: path, offset: offset, message: message)
        }

        // 1-3: magic number, protocol version, sys_info.
        var position = try PickleMachine.unpickle(bytes, file: path) { value, end in
            guard case let .bigInt(magic) = value, magic.elementsEqual(header[4...]) else {
                throw unexpected(0, "file does not start with the legacy torch magic number 0x1950a86a20f9469cfc6c")
            }
            return end
        }
        position = try PickleMachine.unpickle(bytes, from: position, file: path) { [position] value, end in
            guard value.intValue == 1001 else {
                throw unexpected(position, "legacy protocol version is a \(value.kind) other than 1001")
            }
            return end
        }
        position = try PickleMachine.unpickle(bytes, from: position, file: path) { [position] value, end in
            guard case let .dict(info) = value else { throw unexpected(position, "sys_info is a \(value.kind), expected a dict") }
            guard case .bool(true) = info.value(forKey: "little_endian") else {
                throw unexpected(position, "sys_info does not say little_endian=True; big-endian storages are not supported")
            }
            return end
        }

        // 4: the state dict. Remember each root storage's element type for the data walk.
        var dtypes: [String: DType] = [:]
        let load: PickleMachine.PersistentLoad = { pid, offset in
            let storage = try TorchZipReader.storageReference(pid, viewed: true, file: path, offset: offset)
            if let known = dtypes[storage.key], known != storage.dtype {
                throw CheckpointError.malformed(file: path, offset: offset, message: "storage \(quoted(storage.key)) is used as both \(known.rawValue) and \(storage.dtype.rawValue)")
            }
            dtypes[storage.key] = storage.dtype
            return storage
        }
        let stateStart = position
        let (specs, stateEnd) = try PickleMachine.unpickle(bytes, from: position, file: path, persistentLoad: load) { value, end in
            (try TorchZipReader.tensorSpecs(in: value, file: path, offset: stateStart), end)
        }
        position = stateEnd

        // 5: the storage keys, in the order their data follows.
        let keysStart = position
        let (keys, keysEnd) = try PickleMachine.unpickle(bytes, from: position, file: path) { value, end in
            guard case let .list(list) = value else { throw unexpected(keysStart, "storage key list is a \(value.kind), expected a list") }
            let keys = try list.items.map { item in
                guard let key = item.stringValue else { throw unexpected(keysStart, "storage key list holds a \(item.kind), expected str") }
                return key
            }
            return (keys, end)
        }
        position = keysEnd

        // 6: walk the storage records to find each one's bytes.
        var regions: [String: Range<Int>] = [:]
        for key in keys {
            guard let dtype = dtypes[key] else {
                throw CheckpointError.malformed(file: path, offset: position, message: "storage \(quoted(key)) is listed but no tensor uses it, so its element size is unknown")
            }
            guard regions[key] == nil else {
                throw CheckpointError.malformed(file: path, offset: position, message: "storage \(quoted(key)) is listed twice")
            }
            guard let countBytes = file.slice(offset: position, count: 8) else {
                throw CheckpointError.truncated(file: path, offset: position, what: "element count of storage \(quoted(key))")
            }
            let count = Int64(littleEndian: countBytes.loadUnaligned(as: Int64.self))
            let start = position + 8
            let (length, overflow) = Int(clamping: count).multipliedReportingOverflow(by: dtype.size)
            guard count >= 0, !overflow, length <= file.size - start else {
                throw CheckpointError.truncated(file: path, offset: start, what: "storage \(quoted(key)) declares \(count) \(dtype.rawValue) elements, \(file.size - start) bytes left")
            }
            regions[key] = start..<start + length
            position = start + length
        }

        return try TorchZipReader.makeRecords(specs, file: file) { regions[$0] }
    }
}
