#if canImport(Glibc)
import Glibc
#endif

/// A DeBERTa checkpoint: its configuration and its tensors, still in the mapped files.
///
/// Load one with `Checkpoint.load(path:configPath:)` from a weights file
/// (`model.safetensors`, `pytorch_model.bin`, `weights.bin`, a shard index `.json`) or a
/// Hugging Face model folder. Tensor names are normalised to what
/// `DebertaV2ForSequenceClassification.state_dict()` uses: `LayerNorm.gamma/beta`
/// become `LayerNorm.weight/bias`, and a bare-encoder checkpoint gets the `deberta.` prefix.
public struct Checkpoint: Sendable {
    /// The parsed config.json.
    public let config: DebertaConfig
    /// Path of the config.json that was read.
    public let configPath: String
    /// Format of the weight files.
    public let format: CheckpointFormat
    /// The weight files read, in order (several when sharded).
    public let weightFiles: [String]
    /// All tensors in file order.
    public let tensors: [TensorRecord]
    private let index: [String: Int]

    /// The tensor named `name` (after normalisation), if present.
    public func tensor(named name: String) -> TensorRecord? {
        index[name].map { tensors[$0] }
    }

    /// Total number of elements of the floating-point tensors.
    public var parameterCount: Int {
        tensors.filter { $0.dtype.isFloatingPoint }.reduce(0) { $0 + $1.elementCount }
    }

    /// Loads the checkpoint at `path` (file or folder). `configPath` overrides the
    /// config.json that is otherwise looked for next to the weights.
    public static func load(path: String, configPath: String? = nil) throws -> Checkpoint {
        let location = try CheckpointLocation.resolve(path)
        let configFile = configPath ?? location.directory.appendingPathComponent("config.json")
        guard fileExists(configFile) else {
            throw CheckpointError.notFound(path: configFile, message: "config.json not found next to the weights; pass --config")
        }
        let config = try DebertaConfig.load(path: configFile)

        var format: CheckpointFormat?
        var records: [TensorRecord] = []
        var files: [String] = []
        for shard in location.shards {
            let file = try MappedFile(path: shard.path)
            let shardFormat = try CheckpointFormat.detect(file)
            if let format, format != shardFormat {
                throw CheckpointError.malformed(file: shard.path, offset: 0, message: "shard is \(shardFormat.rawValue) but earlier shards are \(format.rawValue)")
            }
            format = shardFormat
            let shardRecords = try shardFormat.read(file)
            if let expected = shard.expectedNames {
                let present = Set(shardRecords.map(\.name))
                if let missing = expected.sorted().first(where: { !present.contains($0) }) {
                    throw CheckpointError.malformed(file: location.indexPath ?? shard.path, offset: 0, message: "index maps tensor '\(missing)' to '\(shard.path)', which does not contain it")
                }
            }
            records += shardRecords
            files.append(shard.path)
        }
        guard let format else {
            throw CheckpointError.notFound(path: path, message: "the shard index lists no weight files")
        }
        return try Checkpoint(config: config, configPath: configFile, format: format, weightFiles: files, records: records)
    }

    init(config: DebertaConfig, configPath: String, format: CheckpointFormat, weightFiles: [String], records: [TensorRecord]) throws {
        let normalized = TensorNameNormalizer.normalize(records)
        var index: [String: Int] = [:]
        var totalBytes = 0
        for (i, record) in normalized.enumerated() {
            guard index.updateValue(i, forKey: record.name) == nil else {
                throw CheckpointError.duplicateTensor(file: record.file.path, tensor: record.name)
            }
            // Views (stride 0) can claim more elements than any file holds; totals such as
            // `parameterCount` must still be computable.
            let (sum, overflow) = totalBytes.addingReportingOverflow(record.byteCount)
            guard !overflow else {
                throw CheckpointError.tensorOutOfBounds(file: record.file.path, tensor: record.name, message: "the tensors up to this one total more bytes than fit in 64 bits")
            }
            totalBytes = sum
        }
        self.config = config
        self.configPath = configPath
        self.format = format
        self.weightFiles = weightFiles
        self.tensors = normalized
        self.index = index
    }
}

/// Maps names from older or bare-encoder checkpoints onto the classifier's state-dict names.
enum TensorNameNormalizer {
    static func normalize(_ records: [TensorRecord]) -> [TensorRecord] {
        let hasPrefix = records.contains { $0.name.hasPrefix("deberta.") }
        return records.map { record in
            var record = record
            var name = record.name
            if name.hasSuffix("LayerNorm.gamma") { name = String(name.dropLast("gamma".count)) + "weight" }
            if name.hasSuffix("LayerNorm.beta") { name = String(name.dropLast("beta".count)) + "bias" }
            if !hasPrefix, name.hasPrefix("embeddings.") || name.hasPrefix("encoder.") { name = "deberta." + name }
            record.name = name
            return record
        }
    }
}

func fileExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
}

func directoryExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}

extension String {
    /// `self` joined with a path component by "/".
    func appendingPathComponent(_ component: String) -> String {
        hasSuffix("/") ? self + component : self + "/" + component
    }

    /// The folder part of a path ("." for a bare file name).
    var deletingLastPathComponent: String {
        guard let slash = lastIndex(of: "/") else { return "." }
        return slash == startIndex ? "/" : String(self[..<slash])
    }
}
