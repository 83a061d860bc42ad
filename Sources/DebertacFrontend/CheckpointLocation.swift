/// Where a checkpoint's weights are: one file, or the shards named by an index.
struct CheckpointLocation {
    struct Shard {
        let path: String
        /// Tensor names the index assigns to this shard (nil for an unsharded file).
        let expectedNames: Set<String>?
    }

    /// The folder that holds the weights (and, by default, config.json).
    let directory: String
    /// The shard index that was read, if any.
    let indexPath: String?
    let shards: [Shard]

    /// Files a Hugging Face folder may hold, in order of preference.
    static let folderCandidates = [
        "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json",
    ]

    static func resolve(_ path: String) throws -> CheckpointLocation {
        if directoryExists(path) {
            guard let name = folderCandidates.first(where: { fileExists(path.appendingPathComponent($0)) }) else {
                throw CheckpointError.notFound(path: path, message: "folder has none of \(folderCandidates.joined(separator: ", "))")
            }
            return try resolveFile(path.appendingPathComponent(name))
        }
        guard fileExists(path) else {
            throw CheckpointError.notFound(path: path, message: "no such file or folder")
        }
        return try resolveFile(path)
    }

    private static func resolveFile(_ path: String) throws -> CheckpointLocation {
        let directory = path.deletingLastPathComponent
        guard path.hasSuffix(".json") else {
            return CheckpointLocation(directory: directory, indexPath: nil, shards: [Shard(path: path, expectedNames: nil)])
        }
        return CheckpointLocation(directory: directory, indexPath: path, shards: try readIndex(path, directory: directory))
    }

    /// Parses `{"weight_map": {tensor: shard file}}`; shard files must sit beside the index.
    private static func readIndex(_ path: String, directory: String) throws -> [Shard] {
        let file = try MappedFile(path: path)
        let json: JSONValue
        do {
            json = try JSONParser.parse(file.bytes)
        } catch {
            throw CheckpointError.json(file: path, offset: error.offset, message: error.message)
        }
        guard let map = json["weight_map"]?.objectValue else {
            throw CheckpointError.malformed(file: path, offset: 0, message: "shard index has no 'weight_map' object")
        }
        var byShard: [String: Set<String>] = [:]
        var order: [String] = []
        for (tensor, value) in map {
            guard let shard = value.stringValue else {
                throw CheckpointError.malformed(file: path, offset: 0, message: "weight_map entry '\(tensor)' is a \(value.kindName), expected a file name")
            }
            guard !shard.isEmpty, !shard.contains("/"), shard != "..", shard != "." else {
                throw CheckpointError.malformed(file: path, offset: 0, message: "weight_map entry '\(tensor)' names '\(shard)'; shard files must be plain names in the index's folder")
            }
            if byShard[shard] == nil { order.append(shard) }
            byShard[shard, default: []].insert(tensor)
        }
        return order.sorted().map { Shard(path: directory.appendingPathComponent($0), expectedNames: byShard[$0]) }
    }
}
